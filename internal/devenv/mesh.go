package devenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// MeshOptions says which pods a Mesh serves for.
type MeshOptions struct {
	// Clusters are the clusters whose pods get a server; pods of every
	// namespace but kube-system and istio-system that carry an "app" label.
	Clusters []*Cluster
}

// Mesh is a workload simulator: for every pod kwok runs (labelled "app")
// a gRPC server on a loopback address of its own, answering as the pod's
// version (its "version" label) with the errors and latency a test Set
// for that version; and clients (Call) that send a steady rate of real
// gRPC requests to services through gRPC's proxyless xDS resolver, with
// routes and endpoints from istiod. A client's dialer maps each pod IP
// istiod hands out to that pod's loopback server (the API server refuses
// loopback addresses in EndpointSlices). Both ends report Istio's standard
// metrics, with Istio's labels, on URL for Prometheus to scrape.
type Mesh struct {
	// URL is the metrics endpoint, "http://127.0.0.1:<port>/metrics".
	URL string
	// Target is "127.0.0.1:<port>", for a Prometheus scrape config.
	Target string

	metrics    *meshMetrics
	behaviours behaviours
	answers    tally // what the clients received
	received   tally // what the pods received
	srv        *http.Server
	watchCtx   context.Context // ends on Close
	stopWatch  context.CancelFunc

	gatherer prometheus.Gatherer // every cluster's series

	mu          sync.Mutex
	clusterSrvs map[string]clusterServer // cluster ID → its metrics endpoint
	servers     map[string]*podServer    // pod IP → server
	seen        map[string]peerInfo      // pod IP → the last pod that had it
	callers     []*Caller
	closed      bool

	closeOnce sync.Once
}

// NewMesh starts the metrics endpoint and a server for every pod of
// opts.Clusters, now and as they come and go. Close stops everything.
func NewMesh(ctx context.Context, opts MeshOptions) (_ *Mesh, err error) {
	reg := prometheus.NewRegistry()
	metrics, err := newMeshMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("registering the mesh's metrics: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the mesh's metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	watchCtx, stop := context.WithCancel(context.Background())
	m := &Mesh{
		Target:    ln.Addr().String(),
		metrics:   metrics,
		gatherer:  reg,
		srv:       &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLog()},
		stopWatch: stop,
		servers:   map[string]*podServer{},
		seen:      map[string]peerInfo{},
	}
	m.URL = "http://" + m.Target + "/metrics"
	go func() { _ = m.srv.Serve(ln) }()
	defer func() {
		if err != nil {
			_ = m.Close()
		}
	}()
	m.watchCtx = watchCtx
	for _, c := range opts.Clusters {
		if err := m.Watch(ctx, c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// StartMesh starts a Mesh for the test and stops it when the test ends.
func StartMesh(t testing.TB, opts MeshOptions) *Mesh {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := NewMesh(ctx, opts)
	if err != nil {
		t.Fatalf("starting the mesh: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// Set sets how the pods of version of app (their "app" and "version"
// labels) answer from now on, in every namespace and cluster.
func (m *Mesh) Set(app, version string, b Behaviour) { m.behaviours.set(app, version, b) }

func (m *Mesh) behaviour(app, version string) Behaviour { return m.behaviours.get(app, version) }

// Answers returns every answer the mesh's clients received so far: what
// the users of the called services saw. gRPC retries a request that failed
// with UNAVAILABLE when istiod's route says so (Istio's default retry
// policy does), so a failed attempt may still end in a good answer.
func (m *Mesh) Answers() Tally { return m.answers.snapshot() }

// Received returns every request attempt the mesh's pods received and how
// each answered: what the pods' sidecars report.
func (m *Mesh) Received() Tally { return m.received.snapshot() }

// Watch serves the pods of one more cluster: it keeps a server for every
// running pod of c, from an informer on its pods and ReplicaSets (a pod's
// workload is its ReplicaSet's Deployment), until Close. It returns once
// the informer has synced.
func (m *Mesh) Watch(ctx context.Context, c *Cluster) error {
	factory := informers.NewSharedInformerFactory(c.Client(), 0)
	pods := factory.Core().V1().Pods().Informer()
	rsLister := factory.Apps().V1().ReplicaSets().Lister()
	update := func(obj any) {
		pod, ok := obj.(*corev1.Pod)
		if !ok {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				pod, _ = tomb.Obj.(*corev1.Pod)
			}
			if pod == nil {
				return
			}
			m.podGone(pod.Status.PodIP)
			return
		}
		m.podChanged(c, pod, rsLister.ReplicaSets(pod.Namespace).Get)
	}
	if _, err := pods.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    update,
		UpdateFunc: func(_, obj any) { update(obj) },
		DeleteFunc: func(obj any) {
			if pod, ok := obj.(*corev1.Pod); ok {
				m.podGone(pod.Status.PodIP)
				return
			}
			update(obj)
		},
	}); err != nil {
		return fmt.Errorf("watching the pods of %s: %w", c.Name, err)
	}
	factory.Start(m.watchCtx.Done())
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("listing %v of %s for the mesh: %w", typ, c.Name, errors.Join(ctx.Err(), errors.New("cache not synced")))
		}
	}
	return nil
}

// podChanged starts a server for a pod that runs and has an IP, and stops
// it for one that is going away.
func (m *Mesh) podChanged(c *Cluster, pod *corev1.Pod, getRS func(string) (*appsv1.ReplicaSet, error)) {
	if pod.Namespace == "kube-system" || pod.Namespace == IstiodNamespace || pod.Labels["app"] == "" || pod.Status.PodIP == "" {
		return
	}
	if pod.DeletionTimestamp != nil || pod.Status.Phase != corev1.PodRunning {
		m.podGone(pod.Status.PodIP)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	if s, ok := m.servers[pod.Status.PodIP]; ok {
		if s.pod.Name == pod.Name && s.pod.Cluster == c.ClusterID {
			return
		}
		go s.stop() // the IP went to another pod
	}
	info := meshPod{Name: pod.Name, IP: pod.Status.PodIP, peerInfo: peerInfo{
		Workload: workloadOf(pod, getRS), Namespace: pod.Namespace, App: pod.Labels["app"],
		Version: pod.Labels["version"], Cluster: c.ClusterID,
	}}
	s, err := startPodServer(m, info)
	if err != nil {
		// No server: a client's dial to this pod fails, and is reported
		// as a connection failure (503 UF), as a dead pod would be.
		delete(m.servers, pod.Status.PodIP)
		return
	}
	m.servers[pod.Status.PodIP] = s
	m.seen[pod.Status.PodIP] = info.peerInfo
}

// podAt is the pod that last had ip, as a client reports the destination
// of an answer.
func (m *Mesh) podAt(ip string) peerInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seen[ip]
}

func (m *Mesh) podGone(ip string) {
	if ip == "" {
		return
	}
	m.mu.Lock()
	s, ok := m.servers[ip]
	delete(m.servers, ip)
	m.mu.Unlock()
	if ok {
		go s.stop()
	}
}

// serverFor returns the server of the pod with ip, waiting up to wait for
// it to appear (the client may learn an endpoint from istiod before the
// mesh sees the pod).
func (m *Mesh) serverFor(ctx context.Context, ip string, wait time.Duration) (*podServer, bool) {
	deadline := time.Now().Add(wait)
	for {
		m.mu.Lock()
		s, ok := m.servers[ip]
		m.mu.Unlock()
		if ok || time.Now().After(deadline) || ctx.Err() != nil {
			return s, ok
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// workloadOf is the pod's workload as Istio names it: the Deployment of
// its ReplicaSet, else the ReplicaSet, else the pod.
func workloadOf(pod *corev1.Pod, getRS func(string) (*appsv1.ReplicaSet, error)) string {
	for _, ref := range pod.OwnerReferences {
		if ref.Kind != "ReplicaSet" {
			continue
		}
		if rs, err := getRS(ref.Name); err == nil {
			for _, o := range rs.OwnerReferences {
				if o.Kind == "Deployment" {
					return o.Name
				}
			}
		}
		if hash := pod.Labels["pod-template-hash"]; hash != "" {
			return strings.TrimSuffix(ref.Name, "-"+hash)
		}
		return ref.Name
	}
	return pod.Name
}

// Close stops the clients, the servers and the metrics endpoint.
func (m *Mesh) Close() error {
	var err error
	m.closeOnce.Do(func() {
		m.stopWatch()
		m.mu.Lock()
		m.closed = true
		callers := m.callers
		servers := m.servers
		m.servers = map[string]*podServer{}
		m.mu.Unlock()
		for _, c := range callers {
			c.close()
		}
		for _, s := range servers {
			s.stop()
		}
		m.closeClusterTargets()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if e := m.srv.Shutdown(ctx); e != nil && !errors.Is(e, http.ErrServerClosed) {
			err = m.srv.Close()
		}
	})
	return err
}
