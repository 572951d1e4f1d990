package canary

import (
	"context"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/kube"
	"github.com/aviary-cd/aviary/pkg/topology"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

var sprintf = fmt.Sprintf

// ServiceState is what the cluster says about one service.
type ServiceState struct {
	Service string
	Route   traffic.Route
	// Subsets maps subset names to the labels they select.
	Subsets map[string]map[string]string
	// Deployments are aviary's Deployments of the service by version.
	Deployments map[string]*appsv1.Deployment
}

// Stable is the version the stable subset serves, or "".
func (s *ServiceState) Stable() string { return s.recorded(RecordStable, topology.StableSubset) }

// Canary is the version under test, or "".
func (s *ServiceState) Canary() string { return s.recorded(RecordCanary, "") }

// Previous is the version kept passive by the last promotion, or "".
func (s *ServiceState) Previous() string { return s.Route.Record[RecordPrevious] }

// recorded reads a version from the route's record, falling back to the
// version a subset selects (a record lost by hand).
func (s *ServiceState) recorded(key, subset string) string {
	if v := s.Route.Record[key]; v != "" {
		return v
	}
	if subset == "" || !s.Route.Found {
		return ""
	}
	label := s.Subsets[subset][topology.VersionLabel]
	for v, d := range s.Deployments {
		if d.Labels[LabelVersion] == label && label != "" {
			return v
		}
	}
	return ""
}

// Weight is the canary's weight now in effect.
func (s *ServiceState) Weight(canary traffic.Destination) int {
	return traffic.WeightOf(s.Route.Weights, func(d traffic.Destination) bool {
		return d.Host == canary.Host && d.Subset == canary.Subset
	})
}

// Deployment returns the Deployment of version, or nil.
func (s *ServiceState) Deployment(version string) *appsv1.Deployment {
	if version == "" {
		return nil
	}
	return s.Deployments[version]
}

// Ready reports whether version's Deployment serves with all its replicas.
func (s *ServiceState) Ready(version string) (bool, kube.Readiness) {
	d := s.Deployment(version)
	if d == nil {
		return false, kube.Readiness{Name: DeploymentName(s.Service, version), Reason: "not found"}
	}
	r := kube.DeploymentReadiness(d)
	return r.Done && r.Want > 0, r
}

// wantedReplicas is the replicas a version asks for when it serves.
func wantedReplicas(d *appsv1.Deployment) int32 {
	if n, err := strconv.Atoi(d.Annotations[AnnotationReplicas]); err == nil && n > 0 {
		return int32(n)
	}
	if d.Spec.Replicas != nil && *d.Spec.Replicas > 0 {
		return *d.Spec.Replicas
	}
	return 1
}

// snapshot reads the state of the named services: aviary's Deployments in
// the workload namespace, and the routes and subsets in the route
// namespace, with three lists whatever the number of services.
func (e *Env) snapshot(ctx context.Context, services []string) (map[string]*ServiceState, error) {
	ns := e.Place.Stable.Namespace
	var list *appsv1.DeploymentList
	err := kube.Retry(ctx, func(ctx context.Context) error {
		var err error
		list, err = e.Kube.Kube.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{LabelSelector: LabelManagedBy + "=" + ManagedBy})
		return err
	})
	if err != nil {
		return nil, kube.Classify(err, "listing Deployments in namespace %q", ns)
	}
	routes, subsets, err := e.Mesh.Snapshot(ctx, e.namespace())
	if err != nil {
		return nil, err
	}
	out := make(map[string]*ServiceState, len(services))
	for _, s := range services {
		st := &ServiceState{Service: s, Route: routes[s], Subsets: map[string]map[string]string{}, Deployments: map[string]*appsv1.Deployment{}}
		if st.Route.Record == nil {
			st.Route.Record = map[string]string{}
		}
		for _, sub := range subsets[s] {
			st.Subsets[sub.Name] = sub.Labels
		}
		out[s] = st
	}
	for i := range list.Items {
		d := &list.Items[i]
		if st, ok := out[d.Labels[LabelService]]; ok {
			st.Deployments[d.Annotations[AnnotationVersion]] = d
		}
	}
	return out, nil
}
