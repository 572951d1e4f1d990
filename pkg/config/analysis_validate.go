package config

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// The built-in metrics' names, as they appear in results and reports. A
// custom metric may not take one of them.
const (
	MetricRequests    = "requests"
	MetricSuccessRate = "success-rate"
	MetricP99Latency  = "p99-latency"
)

// QueryData is what a custom metric's query template sees. It describes the
// side being measured: the canary, or stable for the comparison.
type QueryData struct {
	Service   string
	Namespace string
	Version   string
	Workload  string
	// Cluster is the Istio cluster ID of the side's cluster
	// (destination_cluster) when the topology tells the sides apart by
	// cluster, else empty.
	Cluster string
	// Interval is the measurement window as Prometheus duration text (30s).
	Interval string
	// Selector is the Istio label matchers of the side measured, without
	// braces: reporter="destination",destination_workload_namespace="shop",...
	Selector string
}

// sampleQueryData is what a query template is checked against.
var sampleQueryData = QueryData{
	Service: "svc", Namespace: "ns", Version: "v1", Cluster: "cluster-1", Interval: "30s",
	Selector: `reporter="destination",destination_workload_namespace="ns",destination_service_name="svc",destination_version="v1",destination_cluster="cluster-1"`,
}

// RenderQuery fills in a custom metric's query template.
func RenderQuery(text string, d QueryData) (string, error) {
	t, err := template.New("query").Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("parsing query template: %w", err)
	}
	var b strings.Builder
	if err := t.Execute(&b, d); err != nil {
		return "", fmt.Errorf("filling in query template: %w", err)
	}
	if strings.TrimSpace(b.String()) == "" {
		return "", fmt.Errorf("query is empty")
	}
	return b.String(), nil
}

var metricName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Validate checks analysis settings with their defaults filled in (see
// WithDefaults). Every problem is reported, each naming the field; the
// error is outcome.Invalid.
func (s Analysis) Validate() error {
	problems := s.Problems()
	if len(problems) == 0 {
		return nil
	}
	errs := make([]error, len(problems))
	for i, p := range problems {
		errs[i] = errors.New(p.String())
	}
	return outcome.Invalid(fmt.Errorf("analysis settings: %w", errors.Join(errs...)))
}

// analysisProblems collects the problems of analysis settings, each at its
// path under canary.analysis and, where one overrides it, the step input.
type analysisProblems []Problem

func (l *analysisProblems) add(path, input, format string, args ...any) {
	*l = append(*l, Problem{Path: "canary.analysis." + path, Input: input, Message: fmt.Sprintf(format, args...)})
}

// Problems lists every invalid setting of analysis settings with their
// defaults filled in, in the order Validate reports them.
func (s Analysis) Problems() []Problem {
	var l analysisProblems
	s.measurementProblems(&l)
	s.thresholdProblems(&l)
	s.guardProblems(&l)
	seen := map[string]bool{MetricRequests: true, MetricSuccessRate: true, MetricP99Latency: true}
	for i, m := range s.Metrics {
		m.problems(fmt.Sprintf("metrics[%d].", i), seen, &l)
	}
	names := map[string]bool{}
	for i, w := range s.Webhooks {
		w.problems(fmt.Sprintf("webhooks[%d].", i), names, &l)
	}
	return l
}

// measurementProblems checks where and how often measurements are taken
// and how their outcomes count.
func (s Analysis) measurementProblems(l *analysisProblems) {
	if s.PrometheusURL != "" {
		if err := checkHTTPURL(s.PrometheusURL); err != nil {
			l.add("prometheusURL", "prometheus-url", "%v", err)
		}
	}
	if s.Interval.Duration < time.Second {
		l.add("interval", "analysis-interval", "%v is shorter than 1s", s.Interval.Duration)
	}
	if s.Measurements < 1 {
		l.add("measurements", "analysis-measurements", "%d: need at least 1", s.Measurements)
	}
	if s.FailureLimit < 1 {
		l.add("failureLimit", "failure-limit", "%d: need at least 1", s.FailureLimit)
	}
	if s.MinRequests != nil && *s.MinRequests < 0 {
		l.add("minRequests", "min-requests", "%d is negative", *s.MinRequests)
	}
	if s.Inconclusive != Hold && s.Inconclusive != Fail {
		l.add("inconclusive", "inconclusive", "%q is not one of hold, fail", s.Inconclusive)
	}
	if !slices.Contains([]Policy{Fail, Hold, Ignore}, s.OnError) {
		l.add("onError", "analysis-on-error", "%q is not one of fail, hold, ignore", s.OnError)
	}
}

// thresholdProblems checks the built-in metrics' thresholds.
func (s Analysis) thresholdProblems(l *analysisProblems) {
	if v := s.SuccessRate; v != nil && (*v < 0 || *v > 100) {
		l.add("successRate", "success-rate", "%g is not a percentage between 0 and 100", *v)
	}
	if v := s.MaxP99Ms; v != nil && *v < 0 {
		l.add("maxP99Ms", "max-p99-ms", "%g is negative", *v)
	}
	if c := s.CompareStable; c != nil {
		if v := c.SuccessRateDrop; v != nil && *v < 0 {
			l.add("compareStable.successRateDrop", "", "%g is negative", *v)
		}
		if v := c.P99Ratio; v != nil && *v < 1 {
			l.add("compareStable.p99Ratio", "", "%g is below 1", *v)
		}
	}
}

// problems checks a custom metric at prefix; seen holds the names taken.
func (m Metric) problems(prefix string, seen map[string]bool, l *analysisProblems) {
	switch {
	case !metricName.MatchString(m.Name):
		l.add(prefix+"name", "", "%q is not a kebab-case name", m.Name)
	case seen[m.Name]:
		l.add(prefix+"name", "", "%q is used twice or is a built-in metric", m.Name)
	}
	seen[m.Name] = true
	if _, err := RenderQuery(m.Query, sampleQueryData); err != nil {
		l.add(prefix+"query", "", "%v", err)
	}
	if m.Min == nil && m.Max == nil && m.CompareStable == nil {
		l.add(prefix+"min", "", "a metric needs min, max or compareStable")
	}
	if m.Min != nil && m.Max != nil && *m.Min > *m.Max {
		l.add(prefix+"min", "", "%g is above max %g", *m.Min, *m.Max)
	}
	t := m.CompareStable
	if t == nil {
		return
	}
	if (m.Min == nil) == (m.Max == nil) {
		l.add(prefix+"compareStable", "", "needs exactly one of min and max, to say which way is worse")
	}
	if t.MaxDelta == nil && t.MaxRatio == nil {
		l.add(prefix+"compareStable", "", "needs maxDelta or maxRatio")
	}
	if t.MaxDelta != nil && *t.MaxDelta < 0 {
		l.add(prefix+"compareStable.maxDelta", "", "%g is negative", *t.MaxDelta)
	}
	if t.MaxRatio != nil && *t.MaxRatio < 1 {
		l.add(prefix+"compareStable.maxRatio", "", "%g is below 1", *t.MaxRatio)
	}
}

// problems checks a webhook at prefix; names holds the names taken.
func (w Webhook) problems(prefix string, names map[string]bool, l *analysisProblems) {
	if names[w.Name] {
		l.add(prefix+"name", "", "%q is used twice", w.Name)
	}
	names[w.Name] = true
	if err := checkHTTPURL(w.URL); err != nil {
		// The URL may hold a token: name the field, never the value.
		l.add(prefix+"url", "", "%v", err)
	}
	if w.Timeout.Duration < 0 {
		l.add(prefix+"timeout", "", "%v is negative", w.Timeout.Duration)
	}
	for _, p := range w.Phases {
		if p != PhaseStep && p != PhasePromotion && p != PhaseSwitch {
			l.add(prefix+"phases", "", "%q is not one of step, promotion, switch", p)
		}
	}
}

// checkHTTPURL accepts an absolute http or https URL. Its message never
// quotes the URL, which may carry credentials.
func checkHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("not an http or https URL")
	}
	if u.Host == "" {
		return errors.New("URL has no host")
	}
	return nil
}
