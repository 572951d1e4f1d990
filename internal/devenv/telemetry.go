package devenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Series is the traffic that one version of a service receives, as the
// destination's sidecar would report it.
type Series struct {
	// Service, Namespace and Version identify the destination
	// (destination_service_name, destination_workload_namespace,
	// destination_version). Required: Service and Namespace.
	Service, Namespace, Version string
	// Workload is destination_workload (default "<Service>-<Version>", or
	// Service when Version is empty).
	Workload string
	// ServiceNamespace is the namespace of the host the requests were
	// addressed to (destination_service_namespace, and the namespace in
	// destination_service); default Namespace. With a canary in a
	// namespace of its own, clients address the release namespace's host
	// and a VirtualService sends part of them to the canary namespace, so
	// the two may differ.
	ServiceNamespace string
	// Cluster is destination_cluster, the Istio cluster ID of the cluster
	// the receiving pods run in (default: the telemetry's cluster, see
	// NewClusterTelemetry, else "Kubernetes", Istio's default).
	Cluster string
	// SourceCluster is source_cluster, the cluster of the callers (default
	// Cluster: callers in the same cluster). With a canary in another
	// cluster of the mesh, the callers of the deciding cluster reach it
	// across clusters: there it differs.
	SourceCluster string
	// RPS is the request rate.
	RPS float64
	// ErrorRatio is the share of requests, 0 to 1, answered with ErrorCode.
	ErrorRatio float64
	// ErrorCode is the response code of failed requests (default 500);
	// the others are answered with 200.
	ErrorCode int
	// LatencyP50ms and LatencyP99ms shape a log-normal request duration
	// (defaults: P99 100 ms, P50 a fifth of P99).
	LatencyP50ms, LatencyP99ms float64
}

func (s Series) key() string {
	return s.Cluster + "|" + s.SourceCluster + "|" + s.Namespace + "|" + s.Service + "|" + s.Version + "|" + s.ServiceNamespace
}

func (s Series) withDefaults() Series {
	if s.Workload == "" {
		s.Workload = s.Service
		if s.Version != "" {
			s.Workload += "-" + s.Version
		}
	}
	if s.Cluster == "" {
		s.Cluster = "Kubernetes"
	}
	if s.SourceCluster == "" {
		s.SourceCluster = s.Cluster
	}
	if s.ServiceNamespace == "" {
		s.ServiceNamespace = s.Namespace
	}
	if s.ErrorCode == 0 {
		s.ErrorCode = 500
	}
	if s.LatencyP99ms <= 0 {
		s.LatencyP99ms = 100
	}
	if s.LatencyP50ms <= 0 || s.LatencyP50ms > s.LatencyP99ms {
		s.LatencyP50ms = s.LatencyP99ms / 5
	}
	s.ErrorRatio = min(max(s.ErrorRatio, 0), 1)
	s.RPS = max(s.RPS, 0)
	return s
}

// Share is the part of a service's requests that one version serves: the
// namespace its pods run in, their version label, the share in percent and
// the ratio of errors it answers; across the clusters of one mesh, the
// cluster its pods run in (destination_cluster) and that of the callers
// the route steers (source_cluster), each an Istio cluster ID (empty: see
// Series).
type Share struct {
	Namespace, Version     string
	Weight                 int
	ErrorRatio             float64
	Cluster, SourceCluster string
}

// Split returns the series the destination sidecars of a service report
// when a route splits rps requests a second, addressed to the service's
// host in namespace, between shares: one series per share, labelled with
// where its pods run (destination_workload_namespace, destination_version,
// destination_workload <service>-v<version>) and with the host the clients
// called (destination_service). Versions beside each other in one namespace
// differ by version (the single-cluster layout); a canary in a namespace of
// its own differs by namespace too (canary-namespace); a canary in another
// cluster of the mesh differs by destination_cluster (the cluster
// topologies, one namespace across the clusters).
func Split(service, namespace string, rps float64, shares ...Share) []Series {
	out := make([]Series, 0, len(shares))
	for _, sh := range shares {
		out = append(out, Series{
			Service: service, Namespace: sh.Namespace, ServiceNamespace: namespace, Version: sh.Version,
			Workload: service + "-v" + strings.NewReplacer(".", "-", "_", "-").Replace(sh.Version),
			RPS:      rps * float64(sh.Weight) / 100, ErrorRatio: sh.ErrorRatio,
			Cluster: sh.Cluster, SourceCluster: sh.SourceCluster,
		})
	}
	return out
}

// Telemetry serves Istio's standard request metrics (istio_requests_total
// and istio_request_duration_milliseconds) for synthetic traffic on a
// loopback /metrics endpoint. Counters advance with wall-clock time at each
// series' rate, so rate() over them in Prometheus gives back the RPS and
// error ratio that were Set. Out of process, POST a Series as JSON to
// "<base>/series" (field names as in Go, e.g. {"Service":"reviews",
// "Namespace":"shop","Version":"v2","RPS":10,"ErrorRatio":0.05}).
type Telemetry struct {
	// URL is the metrics endpoint, "http://127.0.0.1:<port>/metrics".
	URL string
	// Target is "127.0.0.1:<port>", for a Prometheus scrape config.
	Target string
	// Cluster is the cluster ID of a cluster's telemetry
	// (NewClusterTelemetry); empty for one that reports any cluster.
	Cluster string

	gen       *generator
	srv       *http.Server
	closeOnce sync.Once
}

// NewTelemetry starts a telemetry endpoint with the given series. Close stops it.
func NewTelemetry(ctx context.Context, series ...Series) (*Telemetry, error) {
	return newTelemetry("", series)
}

// NewClusterTelemetry starts the telemetry endpoint of one cluster of a
// mesh, as the Prometheus of that cluster would scrape its sidecars: the
// destination sidecars there report only requests their pods received, so
// every series is of cluster (destination_cluster, the cluster's Istio
// cluster ID; a series without one takes it) and a series of another
// cluster is refused. Give each cluster its own, and each its own
// Prometheus, for a Prometheus per cluster; or scrape all of them with one.
func NewClusterTelemetry(ctx context.Context, cluster string, series ...Series) (*Telemetry, error) {
	if cluster == "" {
		return nil, errors.New("cluster telemetry needs a cluster ID")
	}
	return newTelemetry(cluster, series)
}

func newTelemetry(cluster string, series []Series) (*Telemetry, error) {
	gen := newGenerator(time.Now)
	gen.cluster = cluster
	for _, s := range series {
		if err := gen.set(s); err != nil {
			return nil, err
		}
	}
	reg := prometheus.NewRegistry()
	if err := reg.Register(gen); err != nil {
		return nil, fmt.Errorf("registering telemetry collector: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("POST /series", func(w http.ResponseWriter, r *http.Request) {
		var s Series
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&s); err != nil {
			http.Error(w, "decoding series: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := gen.set(s); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for telemetry: %w", err)
	}
	t := &Telemetry{
		Cluster: cluster,
		Target:  ln.Addr().String(),
		gen:     gen,
		srv:     &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLog()},
	}
	t.URL = "http://" + t.Target + "/metrics"
	go func() { _ = t.srv.Serve(ln) }()
	return t, nil
}

// StartTelemetry starts a telemetry endpoint for the test.
func StartTelemetry(t testing.TB, series ...Series) *Telemetry {
	t.Helper()
	tel, err := NewTelemetry(context.Background(), series...)
	if err != nil {
		t.Fatalf("starting telemetry: %v", err)
	}
	t.Cleanup(func() { _ = tel.Close() })
	return tel
}

// StartClusterTelemetry starts the telemetry endpoint of cluster for the
// test (see NewClusterTelemetry).
func StartClusterTelemetry(t testing.TB, cluster string, series ...Series) *Telemetry {
	t.Helper()
	tel, err := NewClusterTelemetry(context.Background(), cluster, series...)
	if err != nil {
		t.Fatalf("starting the telemetry of cluster %s: %v", cluster, err)
	}
	t.Cleanup(func() { _ = tel.Close() })
	return tel
}

// Set adds a series or changes it; the new rates apply from now on.
func (t *Telemetry) Set(s Series) error { return t.gen.set(s) }

// Remove stops reporting a series whose callers are in its own cluster
// (Cluster "" means the telemetry's cluster, else Istio's default).
func (t *Telemetry) Remove(service, namespace, version, cluster string) {
	if cluster == "" {
		cluster = t.Cluster
	}
	t.gen.remove(Series{Service: service, Namespace: namespace, Version: version, Cluster: cluster}.withDefaults())
}

// Close stops the endpoint.
func (t *Telemetry) Close() error {
	var err error
	t.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if e := t.srv.Shutdown(ctx); e != nil && !errors.Is(e, http.ErrServerClosed) {
			err = t.srv.Close()
		}
	})
	return err
}

// istioBuckets are Istio's default buckets for request durations (ms).
var istioBuckets = []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

var telemetryLabels = []string{
	"reporter", "source_workload", "source_workload_namespace", "source_canonical_service", "source_cluster",
	"destination_workload", "destination_workload_namespace", "destination_service", "destination_service_name",
	"destination_service_namespace", "destination_canonical_service", "destination_canonical_revision",
	"destination_app", "destination_version", "destination_cluster", "request_protocol", "response_code",
	"response_flags", "connection_security_policy",
}

func labelValues(s Series, code int) []string {
	rev := s.Version
	if rev == "" {
		rev = "latest"
	}
	return []string{
		"destination", "unknown", "unknown", "unknown", s.SourceCluster,
		s.Workload, s.Namespace, s.Service + "." + s.ServiceNamespace + ".svc.cluster.local", s.Service,
		s.ServiceNamespace, s.Service, rev,
		s.Service, s.Version, s.Cluster, "http", strconv.Itoa(code),
		"-", "mutual_tls",
	}
}

// sortedKeys returns the generator's series keys in a stable order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
