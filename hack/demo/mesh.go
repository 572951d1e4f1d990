package main

import (
	"context"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary"
)

// mesh plays the service mesh's data plane for the telemetry: every few
// hundred milliseconds it reads the routes and aviary's Deployments from
// the cluster and reports, for each version of each service, the share of
// requests its weight sends it, with that version's error ratio. Like
// Istio's sidecars, it labels a version's requests with the namespace its
// pods run in (destination_workload_namespace: the canary namespace's for
// a canary there), its Deployment's name (destination_workload) and its
// version label (destination_version). So Prometheus sees what a real mesh
// would after each traffic shift, in each topology.
type mesh struct {
	kube      kubernetes.Interface
	dyn       dynamic.Interface
	tel       *devenv.Telemetry
	namespace string   // where the routes live
	sides     []string // every namespace the release runs in
	rps       float64  // requests per second per service

	mu     sync.Mutex
	faults map[string]float64       // "<service>/<version label>" → error ratio
	seen   map[string]devenv.Series // series reported so far, by key
	stop   context.CancelFunc
	done   chan struct{}
}

const (
	meshRPS      = 100
	meshInterval = 250 * time.Millisecond
	meshP99ms    = 80
)

func startMesh(ctx context.Context, kube kubernetes.Interface, dyn dynamic.Interface, tel *devenv.Telemetry, namespaces []string) *mesh {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m := &mesh{
		kube: kube, dyn: dyn, tel: tel, namespace: namespaces[0], sides: namespaces, rps: meshRPS,
		faults: map[string]float64{}, seen: map[string]devenv.Series{},
		stop: cancel, done: make(chan struct{}),
	}
	go m.loop(ctx)
	return m
}

// SetErrorRatio makes version of service answer ratio of its requests with
// errors (0 makes it healthy).
func (m *mesh) SetErrorRatio(service, version string, ratio float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.faults[service+"/"+version] = ratio
}

// Stop ends the simulation.
func (m *mesh) Stop() {
	m.stop()
	<-m.done
}

func (m *mesh) loop(ctx context.Context) {
	defer close(m.done)
	t := time.NewTicker(meshInterval)
	defer t.Stop()
	for {
		m.sync(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sync reports the traffic the routes call for now. Versions no longer
// routed keep reporting zero requests, so their counters never reset.
func (m *mesh) sync(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	routes, err := readRoutes(rctx, m.dyn, m.kube, m.namespace)
	if err != nil {
		return // the API server is briefly busy: keep the last rates
	}
	workloads := map[string]string{} // "<namespace>/<service>/<version label>" → Deployment
	for _, ns := range m.sides {
		deps, err := m.kube.AppsV1().Deployments(ns).List(rctx, metav1.ListOptions{LabelSelector: canary.LabelManagedBy + "=" + canary.ManagedBy})
		if err != nil {
			return
		}
		for _, d := range deps.Items {
			workloads[ns+"/"+d.Labels[canary.LabelService]+"/"+d.Labels[canary.LabelVersion]] = d.Name
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rates := map[string]devenv.Series{}
	for key, s := range m.seen {
		s.RPS = 0
		rates[key] = s
	}
	for _, r := range routes {
		for _, d := range r.Dests {
			if d.Version == "" {
				continue
			}
			key := d.Namespace + "/" + r.Service + "/" + d.Version
			workload, ok := workloads[key]
			if !ok {
				continue // no pods, no requests
			}
			s, ok := rates[key]
			if !ok {
				s = devenv.Series{Service: r.Service, Namespace: d.Namespace, ServiceNamespace: m.namespace, Version: d.Version, Workload: workload}
			}
			s.RPS += m.rps * float64(d.Weight) / 100
			rates[key] = s
		}
	}
	for key, s := range rates {
		s.ErrorRatio = m.faults[s.Service+"/"+s.Version]
		s.LatencyP99ms = meshP99ms
		if err := m.tel.Set(s); err == nil {
			m.seen[key] = s
		}
	}
}
