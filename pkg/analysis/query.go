package analysis

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aviary-cd/aviary/pkg/config"
)

// Target is one service whose canary is analysed, and where its stable
// version runs for the comparison.
type Target struct {
	// Service is the Kubernetes Service name, matched against Istio's
	// destination_service_name label.
	Service string `json:"service"`
	// Canary and Stable say where each version runs.
	Canary Side `json:"canary"`
	Stable Side `json:"stable"`
}

// Side is one version of a service: the label values Istio's telemetry
// carries for it.
type Side struct {
	// Namespace matches destination_workload_namespace.
	Namespace string `json:"namespace"`
	// Version matches destination_version (the pods' version label); empty
	// matches any version, for topologies where the namespace alone tells
	// canary from stable.
	Version string `json:"version,omitempty"`
	// Workload, when set, matches destination_workload instead of
	// destination_service_name.
	Workload string `json:"workload,omitempty"`
	// Cluster, when set, matches destination_cluster: the Istio cluster ID
	// of the cluster the side runs in. It tells the sides apart when the
	// topology puts them in different clusters of one mesh, where the same
	// namespace, service and version labels may run in both; empty matches
	// any cluster.
	Cluster string `json:"cluster,omitempty"`
	// Prometheus names the Prometheus the side's metrics are read from, a
	// key of Options.Queriers: with a Prometheus per cluster, the one
	// scraping the side's cluster. Empty reads Options.Querier, the
	// Prometheus at Spec.PrometheusURL. It is a name, never a URL with
	// credentials: it appears in reports.
	Prometheus string `json:"prometheus,omitempty"`
}

func templateData(service string, side Side, interval time.Duration) TemplateData {
	return TemplateData{
		Service:   service,
		Namespace: side.Namespace,
		Version:   side.Version,
		Workload:  side.Workload,
		Cluster:   side.Cluster,
		Interval:  promDuration(interval),
		Selector:  selector(service, side),
	}
}

// selector returns the label matchers of Istio's standard metrics for one
// side of a service, as reported by the receiving proxy.
func selector(service string, side Side) string {
	m := []string{`reporter="destination"`}
	add := func(label, value string) {
		if value != "" {
			m = append(m, label+"="+strconv.Quote(value))
		}
	}
	add("destination_workload_namespace", side.Namespace)
	if side.Workload != "" {
		add("destination_workload", side.Workload)
	} else {
		add("destination_service_name", service)
	}
	add("destination_version", side.Version)
	add("destination_cluster", side.Cluster)
	return strings.Join(m, ",")
}

// promDuration writes d as a Prometheus duration: whole seconds as 30s,
// anything finer in milliseconds.
func promDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}

// requestsQuery counts the requests a side received within the window.
func requestsQuery(d TemplateData) string {
	return fmt.Sprintf(`sum(increase(istio_requests_total{%s}[%s]))`, d.Selector, d.Interval)
}

// successRateQuery is the share of non-5xx responses in percent. It counts
// 5xx responses rather than the others so that a side answering nothing but
// 5xx reads 0, not "no data"; with no requests at all it reads no data.
func successRateQuery(d TemplateData) string {
	return fmt.Sprintf(`100 * (1 - (sum(rate(istio_requests_total{%[1]s,response_code=~"5.."}[%[2]s])) or vector(0)) / sum(rate(istio_requests_total{%[1]s}[%[2]s])))`,
		d.Selector, d.Interval)
}

// p99Query is the 99th percentile of request duration in milliseconds.
func p99Query(d TemplateData) string {
	return fmt.Sprintf(`histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{%s}[%s])))`,
		d.Selector, d.Interval)
}

// check is one metric to judge, built-in or custom, resolved from a Spec.
type check struct {
	name         string
	unit         string // "%", "ms" or ""
	higherBetter bool
	min, max     *float64
	tol          *Tolerance // nil: no comparison with stable
	query        func(TemplateData) (string, error)
}

// checksOf lists the metrics a spec judges, built-in ones first. A built-in
// metric whose threshold is 0 and that is not compared with stable is left
// out.
func checksOf(s Spec) []check {
	var cs []check
	var cmp StableComparison
	if s.CompareStable != nil {
		cmp = *s.CompareStable
	}
	success := check{name: MetricSuccessRate, unit: "%", higherBetter: true, query: plain(successRateQuery)}
	if s.SuccessRate != nil && *s.SuccessRate > 0 {
		success.min = s.SuccessRate
	}
	if cmp.SuccessRateDrop != nil {
		success.tol = &Tolerance{MaxDelta: cmp.SuccessRateDrop}
	}
	if success.min != nil || success.tol != nil {
		cs = append(cs, success)
	}
	p99 := check{name: MetricP99Latency, unit: "ms", query: plain(p99Query)}
	if s.MaxP99Ms != nil && *s.MaxP99Ms > 0 {
		p99.max = s.MaxP99Ms
	}
	if cmp.P99Ratio != nil {
		p99.tol = &Tolerance{MaxRatio: cmp.P99Ratio}
	}
	if p99.max != nil || p99.tol != nil {
		cs = append(cs, p99)
	}
	for _, m := range s.Metrics {
		text := m.Query
		cs = append(cs, check{
			name:         m.Name,
			higherBetter: m.Min != nil && m.Max == nil,
			min:          m.Min,
			max:          m.Max,
			tol:          m.CompareStable,
			query:        func(d TemplateData) (string, error) { return config.RenderQuery(text, d) },
		})
	}
	return cs
}

func plain(f func(TemplateData) string) func(TemplateData) (string, error) {
	return func(d TemplateData) (string, error) { return f(d), nil }
}
