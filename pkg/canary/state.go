package canary

import (
	"context"
	"slices"
	"strconv"
	"sync"

	"golang.org/x/sync/errgroup"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/kube"
	"github.com/aviary-cd/aviary/pkg/topology"
	"github.com/aviary-cd/aviary/pkg/traffic"
	"github.com/aviary-cd/aviary/pkg/traffic/istio"
)

// ServiceState is what the clusters say about one service.
type ServiceState struct {
	Service string
	Record  Record
	// Routes are aviary's route of the service at each route place of
	// the placement, in its order.
	Routes []traffic.Route
	// Subsets are aviary's subsets of each of the service's
	// DestinationRules, by ruleKey, each subset name mapped to its labels.
	Subsets map[string]map[string]map[string]string
	// Workloads are aviary's Deployments of the service on each side, by
	// the side's role and then by version.
	Workloads map[config.Role]map[string]*appsv1.Deployment
	// Entries are, with separate meshes, the ServiceEntries aviary wrote
	// for the service at the route places, by entryKey.
	Entries map[string]istio.Listed
	// Port is the port of the service's Service, which a host of another
	// mesh reaching it listens on.
	Port int
}

// ruleKey names the DestinationRule of a service in a namespace of a
// cluster.
func ruleKey(kubeContext, namespace string) string { return kubeContext + "/" + namespace }

// Stable is the version the stable side serves, or "": the record's, else
// (a record lost by hand) the version its stable subset selects.
func (s *ServiceState) Stable(side topology.Side) string {
	if s.Record.Stable != "" {
		return s.Record.Stable
	}
	for _, subsets := range s.Subsets {
		label := subsets[topology.StableSubset][topology.VersionLabel]
		for v, d := range s.Workloads[side.Role] {
			if label != "" && d.Labels[LabelVersion] == label {
				return v
			}
		}
	}
	return ""
}

// Deployment returns the Deployment of version on side, or nil.
func (s *ServiceState) Deployment(side topology.Side, version string) *appsv1.Deployment {
	if version == "" {
		return nil
	}
	return s.Workloads[side.Role][version]
}

// Ready reports whether version's Deployment on side serves with all its
// replicas.
func (s *ServiceState) Ready(side topology.Side, version string) (bool, kube.Readiness) {
	d := s.Deployment(side, version)
	if d == nil {
		return false, kube.Readiness{Name: DeploymentName(s.Service, version), Reason: "not found in " + side.String()}
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

// snapshot reads the state of the named services with a fixed number of
// requests whatever their number, in parallel: the records, aviary's
// Deployments on each of sides, and the routes and DestinationRules of
// each namespace that holds them.
func (e *Env) snapshot(ctx context.Context, services []string, sides ...topology.Side) (map[string]*ServiceState, error) {
	out := make(map[string]*ServiceState, len(services))
	for _, s := range services {
		out[s] = &ServiceState{
			Service: s, Routes: make([]traffic.Route, len(e.Place.Routes)),
			Subsets:   map[string]map[string]map[string]string{},
			Workloads: map[config.Role]map[string]*appsv1.Deployment{},
			Entries:   map[string]istio.Listed{}, Port: 80,
		}
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		store, err := e.store(gctx)
		if err != nil {
			return err
		}
		records, err := store.Load(gctx)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for s, st := range out {
			st.Record = records[s]
		}
		return nil
	})
	for _, side := range distinct(sides) {
		g.Go(func() error {
			list, err := e.deployments(gctx, side.Location)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, st := range out {
				if st.Workloads[side.Role] == nil {
					st.Workloads[side.Role] = map[string]*appsv1.Deployment{}
				}
			}
			for i := range list {
				d := &list[i]
				if st, ok := out[d.Labels[LabelService]]; ok {
					st.Workloads[side.Role][d.Annotations[AnnotationVersion]] = d
				}
			}
			return nil
		})
	}
	if e.remote() {
		for _, at := range e.Place.Routes {
			g.Go(func() error {
				m, err := e.remoteMesh(gctx, at.Context)
				if err != nil {
					return err
				}
				entries, err := m.Entries(gctx, at.Namespace)
				if err != nil {
					return e.in(at.Context, err)
				}
				mu.Lock()
				defer mu.Unlock()
				for name, l := range entries {
					if st, ok := out[l.Service]; ok {
						st.Entries[entryKey(at, name)] = l
					}
				}
				return nil
			})
		}
	}
	for _, at := range e.meshNamespaces() {
		g.Go(func() error {
			m, err := e.mesh(gctx, at.Context)
			if err != nil {
				return err
			}
			routes, subsets, err := m.Snapshot(gctx, at.Namespace)
			if err != nil {
				return e.in(at.Context, err)
			}
			if err := e.checkRivals(m, at, services); err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for s, st := range out {
				for i, r := range e.Place.Routes {
					if r.Same(at) {
						st.Routes[i] = routes[s]
					}
				}
				if ss, ok := subsets[s]; ok {
					st.Subsets[ruleKey(at.Context, at.Namespace)] = topology.Owned(ss)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// deployments lists aviary's Deployments in a namespace.
func (e *Env) deployments(ctx context.Context, at topology.Location) ([]appsv1.Deployment, error) {
	c, err := e.clients(ctx, at.Context)
	if err != nil {
		return nil, err
	}
	var list *appsv1.DeploymentList
	err = kube.Retry(ctx, func(ctx context.Context) error {
		var err error
		list, err = c.Kube.AppsV1().Deployments(at.Namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelManagedBy + "=" + ManagedBy})
		return err
	})
	if err != nil {
		return nil, e.in(at.Context, kube.Classify(err, "listing Deployments in %s", at))
	}
	return list.Items, nil
}

// distinct drops the sides that repeat an earlier one (single-cluster's
// one side plays both parts).
func distinct(sides []topology.Side) []topology.Side {
	var out []topology.Side
	for _, s := range sides {
		if !slices.ContainsFunc(out, func(o topology.Side) bool { return o.Role == s.Role }) {
			out = append(out, s)
		}
	}
	return out
}

// meshNamespaces are the namespaces, in every route cluster, that hold the
// release's VirtualServices and DestinationRules.
func (e *Env) meshNamespaces() []topology.Location {
	var out []topology.Location
	add := func(l topology.Location) {
		for _, o := range out {
			if o.Same(l) {
				return
			}
		}
		out = append(out, l)
	}
	for _, r := range e.Place.Routes {
		add(r)
	}
	for _, rt := range e.routings() {
		for _, st := range rt {
			for _, rule := range st.Rules("") {
				add(topology.Location{Context: rule.Cluster, Namespace: rule.Namespace})
			}
		}
	}
	return out
}
