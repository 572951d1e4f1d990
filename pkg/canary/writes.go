package canary

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/aviary-cd/aviary/pkg/kube"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

// route sends weight percent of the service's requests to its canary and
// the rest to stable; without canary all go to stable. record is written
// in the same update.
func (e *Env) route(ctx context.Context, service string, weight int, canary bool, record map[string]string) error {
	s, c := e.Place.Destinations(service)
	dests := []traffic.Destination{s}
	if canary {
		dests = append(dests, c)
	}
	ws, err := traffic.Desired(weight, dests)
	if err != nil {
		return err
	}
	return e.Mesh.SetWeights(ctx, e.routeOf(service), ws, record)
}

// subsets points the stable subset at version stable and the canary subset
// at canary, dropping the canary subset when canary is empty.
func (e *Env) subsets(ctx context.Context, service, stable, canary string) error {
	var remove []string
	cl := ""
	if canary == "" {
		remove = []string{"canary"}
	} else {
		cl = VersionLabel(canary)
	}
	host, _ := e.Place.Destinations(service)
	return e.Mesh.SetSubsets(ctx, e.routeOf(service), host.Host, e.Place.Subsets(VersionLabel(stable), cl), remove)
}

// scale sets the replicas of a Deployment and records its role, with a
// merge patch: the fields stay owned by aviary's apply otherwise.
func (e *Env) scale(ctx context.Context, d *appsv1.Deployment, replicas int32, role string) error {
	if d.Spec.Replicas != nil && *d.Spec.Replicas == replicas && d.Annotations[AnnotationRole] == role {
		return nil
	}
	patch, _ := json.Marshal(map[string]any{
		"metadata": map[string]any{"annotations": map[string]string{AnnotationRole: role}},
		"spec":     map[string]any{"replicas": replicas},
	})
	err := kube.Retry(ctx, func(ctx context.Context) error {
		out, err := e.Kube.Kube.AppsV1().Deployments(d.Namespace).Patch(ctx, d.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: kube.FieldManager})
		if err == nil {
			*d = *out
		}
		return err
	})
	return kube.Classify(err, "scaling Deployment %s to %d", kube.Ref(d), replicas)
}

// ensureReady makes version's Deployment serve with the replicas it asks
// for (scaling a passive or retired one back up) and waits until it does.
func (e *Env) ensureReady(ctx context.Context, st *ServiceState, version string) error {
	d := st.Deployment(version)
	if d == nil {
		return fmt.Errorf("service %q: version %s has no Deployment (%s) in namespace %q", st.Service, version, DeploymentName(st.Service, version), e.Place.Stable.Namespace)
	}
	if ok, _ := st.Ready(version); ok && d.Annotations[AnnotationRole] != RolePassive {
		return nil
	}
	if want := wantedReplicas(d); d.Spec.Replicas == nil || *d.Spec.Replicas != want {
		e.progress("%s: scaling %s up to %d", st.Service, d.Name, want)
		if err := e.scale(ctx, d, want, d.Annotations[AnnotationRole]); err != nil {
			return err
		}
	}
	return e.wait(ctx, d.Namespace, []string{d.Name})
}

// prune deletes aviary's Deployments of the service whose versions are not
// kept.
func (e *Env) prune(ctx context.Context, st *ServiceState, keep ...string) error {
	for v, d := range st.Deployments {
		kept := false
		for _, k := range keep {
			kept = kept || (k != "" && k == v)
		}
		if kept {
			continue
		}
		e.progress("%s: removing %s (version %s)", st.Service, d.Name, v)
		err := kube.Retry(ctx, func(ctx context.Context) error {
			err := e.Kube.Kube.AppsV1().Deployments(d.Namespace).Delete(ctx, d.Name, metav1.DeleteOptions{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		})
		if err != nil {
			return kube.Classify(err, "deleting Deployment %s", kube.Ref(d))
		}
		delete(st.Deployments, v)
	}
	return nil
}

// switchStable moves a service's stable from one version to another, both
// ready, in an order where every intermediate state routes only to them:
// the canary subset selects to, all traffic goes to the canary subset, the
// stable subset selects to, all traffic goes to stable (with record), and
// the canary subset goes. Each write is idempotent, so a killed switch is
// finished by running it again.
func (e *Env) switchStable(ctx context.Context, service, from, to string, during, record map[string]string) error {
	if err := e.subsets(ctx, service, from, to); err != nil {
		return err
	}
	if err := e.route(ctx, service, 100, true, during); err != nil {
		return err
	}
	if err := e.subsets(ctx, service, to, to); err != nil {
		return err
	}
	if err := e.route(ctx, service, 0, false, record); err != nil {
		return err
	}
	return e.subsets(ctx, service, to, "")
}

func itoa(n int) string { return strconv.Itoa(n) }
