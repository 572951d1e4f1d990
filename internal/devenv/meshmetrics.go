package devenv

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// meshLabels are the labels of Istio's standard metrics that the mesh's
// workloads report (Istio's telemetry v2, for a gRPC request).
var meshLabels = []string{
	"reporter",
	"source_workload", "source_workload_namespace", "source_principal", "source_app", "source_version",
	"source_canonical_service", "source_canonical_revision", "source_cluster",
	"destination_workload", "destination_workload_namespace", "destination_principal", "destination_app",
	"destination_version", "destination_service", "destination_service_name", "destination_service_namespace",
	"destination_canonical_service", "destination_canonical_revision", "destination_cluster",
	"request_protocol", "response_code", "grpc_response_status", "response_flags", "connection_security_policy",
}

// meshMetrics are istio_requests_total and
// istio_request_duration_milliseconds, reported by both ends of each
// request as a client's and a server's sidecar would.
type meshMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMeshMetrics(reg prometheus.Registerer) (*meshMetrics, error) {
	m := &meshMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "istio_requests_total",
			Help: "Requests, as reported by Istio's sidecars (source and destination).",
		}, meshLabels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "istio_request_duration_milliseconds",
			Help:    "Request durations in milliseconds, as reported by Istio's sidecars.",
			Buckets: istioBuckets,
		}, meshLabels),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// peerInfo is what one end of a request knows about a workload.
type peerInfo struct {
	Workload, Namespace, App, Version, Cluster string
}

// observation is one request as one end reports it.
type observation struct {
	reporter     string // "source" or "destination"
	source, dest peerInfo
	host         string // the service host the client called
	code         int    // HTTP status; 0 when no response came
	grpcCode     codes.Code
	flags        string
	duration     time.Duration
}

func (m *meshMetrics) observe(o observation) {
	orUnknown := func(s string) string {
		if s == "" {
			return "unknown"
		}
		return s
	}
	svcName, svcNS := splitHost(o.host)
	policy := "unknown" // what a source sidecar reports
	if o.reporter == "destination" {
		policy = "none" // plain text: no mTLS in this mesh
	}
	flags := o.flags
	if flags == "" {
		flags = "-"
	}
	rev := func(v string) string {
		if v == "" {
			return "latest"
		}
		return v
	}
	values := []string{
		o.reporter,
		orUnknown(o.source.Workload), orUnknown(o.source.Namespace), "unknown", orUnknown(o.source.App), orUnknown(o.source.Version),
		orUnknown(o.source.App), rev(o.source.Version), orUnknown(o.source.Cluster),
		orUnknown(o.dest.Workload), orUnknown(o.dest.Namespace), "unknown", orUnknown(o.dest.App),
		orUnknown(o.dest.Version), orUnknown(o.host), orUnknown(svcName), orUnknown(svcNS),
		orUnknown(o.dest.App), rev(o.dest.Version), orUnknown(o.dest.Cluster),
		"grpc", strconv.Itoa(o.code), strconv.Itoa(int(o.grpcCode)), flags, policy,
	}
	m.requests.WithLabelValues(values...).Inc()
	m.duration.WithLabelValues(values...).Observe(float64(o.duration) / float64(time.Millisecond))
}

// splitHost returns the service name and namespace of a host such as
// "cart.shop.svc.cluster.local" (a port is dropped).
func splitHost(host string) (name, namespace string) {
	host = hostOnly(host)
	parts := strings.SplitN(host, ".", 3)
	if len(parts) < 2 {
		return host, ""
	}
	return parts[0], parts[1]
}

func hostOnly(hostport string) string {
	for i := len(hostport) - 1; i >= 0; i-- {
		switch hostport[i] {
		case ':':
			return hostport[:i]
		case '.', ']':
			return hostport
		}
	}
	return hostport
}

// httpStatusInError finds the HTTP status grpc-go reports when a server
// answered a gRPC request with a non-200 HTTP response.
var httpStatusInError = regexp.MustCompile(`unexpected HTTP status code received from server: (\d{3})`)

// sourceOutcome is what a client's sidecar would report for a call that
// ended with err: the HTTP status, the gRPC status and Envoy's response
// flags. A gRPC error carried by an HTTP 200 response stays 200, as Istio
// reports it; a non-200 response keeps its status; no response at all is
// 503 UF (upstream connection failure), a deadline 504 UT.
func sourceOutcome(err error) (code int, grpcCode codes.Code, flags string) {
	if err == nil {
		return 200, codes.OK, "-"
	}
	st := status.Convert(err)
	if m := httpStatusInError.FindStringSubmatch(st.Message()); m != nil {
		code, _ = strconv.Atoi(m[1])
		return code, st.Code(), "-"
	}
	switch st.Code() {
	case codes.DeadlineExceeded:
		return 504, st.Code(), "UT"
	case codes.Unavailable:
		return 503, st.Code(), "UF"
	case codes.Canceled:
		return 0, st.Code(), "DC"
	}
	return 200, st.Code(), "-"
}

// grpcCodeOfHTTP is the gRPC status a client derives from a non-200 HTTP
// status (gRPC's HTTP-to-gRPC status mapping).
func grpcCodeOfHTTP(code int) codes.Code {
	switch code {
	case 400:
		return codes.Internal
	case 401:
		return codes.Unauthenticated
	case 403:
		return codes.PermissionDenied
	case 404:
		return codes.Unimplemented
	case 429, 502, 503, 504:
		return codes.Unavailable
	}
	return codes.Unknown
}
