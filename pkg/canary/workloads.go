package canary

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/aviary-cd/aviary/pkg/kube"
	"github.com/aviary-cd/aviary/pkg/topology"
)

// rollout is what to put on one side: the objects of some services'
// releases, and the Deployments to wait for.
type rollout struct {
	side    topology.Side
	objects []*unstructured.Unstructured
	images  []string
	wait    []string
}

func (r *rollout) add(rel Release) {
	r.objects = append(append(r.objects, rel.Shared...), rel.Deployment)
	r.images = append(r.images, rel.Image)
	r.wait = append(r.wait, rel.Deployment.GetName())
}

// roll checks the images of the rollouts, applies them (each side's in
// parallel), and waits until every Deployment is ready.
func (e *Env) roll(ctx context.Context, rs ...*rollout) error {
	var images []string
	for _, r := range rs {
		images = append(images, r.images...)
	}
	if len(images) == 0 {
		return nil
	}
	if e.Images != nil {
		if err := e.Images.Check(ctx, images); err != nil {
			return fmt.Errorf("checking images before deploying: %w", err)
		}
	}
	for _, r := range rs {
		if len(r.objects) == 0 {
			continue
		}
		e.progress("applying %d objects for %d services in %s", len(r.objects), len(r.wait), r.side)
		c, err := e.clients(ctx, r.side.Context)
		if err != nil {
			return err
		}
		if err := e.applyObjects(ctx, c, r); err != nil {
			return e.in(r.side.Context, err)
		}
	}
	for _, r := range rs {
		if len(r.wait) > 0 {
			e.progress("waiting for %d Deployments in %s to become ready", len(r.wait), r.side)
		}
		if err := e.wait(ctx, r.side.Location, r.wait); err != nil {
			return err
		}
	}
	return nil
}

// applyObjects applies a rollout's objects: first what the services share
// (their Services and the rest), each skipped when it is there unchanged,
// with one list per kind instead of a request per object; then the
// Deployments, each version's new, so applied without a read.
func (e *Env) applyObjects(ctx context.Context, c *kube.Clients, r *rollout) error {
	var shared, deployments []*unstructured.Unstructured
	for _, o := range r.objects {
		if o.GetKind() == "Deployment" && o.GroupVersionKind().Group == "apps" {
			deployments = append(deployments, o)
		} else {
			shared = append(shared, o)
		}
	}
	if len(shared) > 0 {
		n, err := c.ApplyChanged(ctx, shared, e.Parallel)
		if err != nil {
			return err
		}
		if skipped := len(shared) - n; skipped > 0 {
			e.progress("%d of %d shared objects in %s are unchanged: not applied", skipped, len(shared), r.side)
		}
	}
	return c.ApplyAll(ctx, deployments, e.Parallel)
}

// scale sets the replicas of a Deployment and records its role ("": none),
// with a merge patch: the fields stay owned by aviary's apply otherwise.
// A Deployment that has both already is not written.
func (e *Env) scale(ctx context.Context, side topology.Side, d *appsv1.Deployment, replicas int32, role string) error {
	if d.Spec.Replicas != nil && *d.Spec.Replicas == replicas && d.Annotations[AnnotationRole] == role {
		return nil
	}
	c, err := e.clients(ctx, side.Context)
	if err != nil {
		return err
	}
	var roleValue any = role
	if role == "" {
		roleValue = nil // a merge patch's null removes the annotation
	}
	patch, _ := json.Marshal(map[string]any{
		"metadata": map[string]any{"annotations": map[string]any{AnnotationRole: roleValue}},
		"spec":     map[string]any{"replicas": replicas},
	})
	err = kube.Retry(ctx, func(ctx context.Context) error {
		out, err := c.Kube.AppsV1().Deployments(d.Namespace).Patch(ctx, d.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: kube.FieldManager})
		if err == nil {
			*d = *out
		}
		return err
	})
	return e.in(side.Context, kube.Classify(err, "scaling Deployment %s to %d", kube.Ref(d), replicas))
}

// ensureReady makes version's Deployment on side serve with the replicas
// it asks for (scaling a passive or retired one back up) and waits until
// it does.
func (e *Env) ensureReady(ctx context.Context, st *ServiceState, side topology.Side, version string) error {
	d := st.Deployment(side, version)
	if d == nil {
		return fmt.Errorf("service %q: version %s has no Deployment (%s) in %s", st.Service, version, DeploymentName(st.Service, version), side)
	}
	if ok, _ := st.Ready(side, version); ok && d.Annotations[AnnotationRole] != DeploymentPassive {
		return nil
	}
	if want := wantedReplicas(d); d.Spec.Replicas == nil || *d.Spec.Replicas != want {
		e.progress("%s: scaling %s up to %d in %s", st.Service, d.Name, want, side)
		if err := e.scale(ctx, side, d, want, d.Annotations[AnnotationRole]); err != nil {
			return err
		}
	}
	return e.wait(ctx, side.Location, []string{d.Name})
}

// prune deletes aviary's Deployments of the service on side whose
// versions are not kept.
func (e *Env) prune(ctx context.Context, st *ServiceState, side topology.Side, keep ...string) error {
	for v, d := range st.Workloads[side.Role] {
		if v != "" && slices.Contains(keep, v) {
			continue
		}
		c, err := e.clients(ctx, side.Context)
		if err != nil {
			return err
		}
		e.progress("%s: removing %s (version %s) from %s", st.Service, d.Name, v, side)
		err = kube.Retry(ctx, func(ctx context.Context) error {
			err := c.Kube.AppsV1().Deployments(d.Namespace).Delete(ctx, d.Name, metav1.DeleteOptions{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		})
		if err != nil {
			return e.in(side.Context, kube.Classify(err, "deleting Deployment %s", kube.Ref(d)))
		}
		delete(st.Workloads[side.Role], v)
	}
	return nil
}
