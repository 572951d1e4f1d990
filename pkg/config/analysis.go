package config

import (
	"fmt"
	"time"
)

// Analysis is the metric analysis that gates every canary step: the
// canary.analysis section of the release config (aviary.yaml), overridden
// field by field by the steps' analysis inputs (steps/internal/stepgate.Spec).
// Every field is optional; WithDefaults fills in what is unset. Package
// analysis measures and judges by it (see docs/analysis.md).
// Field tags: `json` names the field for encoding/json, the YAML decoder and
// the JSON Schema alike.
type Analysis struct {
	// PrometheusURL is the base URL of the Prometheus that scrapes the mesh
	// (http://prometheus.istio-system:9090). Without it no metric is measured
	// and only webhooks gate the steps.
	PrometheusURL string `json:"prometheusURL,omitempty" yaml:"prometheusURL,omitempty"`
	// Interval is the time between measurements and the window each one
	// looks back over (rate(...[interval])). Default 30s; at least 1s, and in
	// practice at least twice Prometheus's scrape interval.
	Interval Duration `json:"interval,omitzero" yaml:"interval,omitempty"`
	// Measurements is how many measurements each traffic step takes, one per
	// interval. Default 3.
	Measurements int `json:"measurements,omitempty" yaml:"measurements,omitempty" jsonschema:"minimum=0"`
	// FailureLimit is how many failed measurements, counted in total within
	// one step, fail the step. Default 2.
	FailureLimit int `json:"failureLimit,omitempty" yaml:"failureLimit,omitempty" jsonschema:"minimum=0"`
	// MinRequests is how many requests the canary must have served within a
	// measurement's window for that measurement to be conclusive. Default 20;
	// 0 turns the check off.
	MinRequests *int `json:"minRequests,omitempty" yaml:"minRequests,omitempty" jsonschema:"minimum=0"`
	// Inconclusive says what an inconclusive measurement does: hold (the
	// default) or fail.
	Inconclusive Policy `json:"inconclusive,omitempty" yaml:"inconclusive,omitempty" jsonschema:"enum=hold,enum=fail"`
	// OnError says what a measurement that could not query Prometheus does:
	// fail (the default), hold or ignore.
	OnError Policy `json:"onError,omitempty" yaml:"onError,omitempty" jsonschema:"enum=fail,enum=hold,enum=ignore"`
	// SuccessRate is the lowest acceptable share of the canary's responses
	// that are not 5xx, in percent (99.5). Default 99; 0 turns the absolute
	// threshold off.
	SuccessRate *float64 `json:"successRate,omitempty" yaml:"successRate,omitempty" jsonschema:"minimum=0,maximum=100"`
	// MaxP99Ms is the highest acceptable 99th percentile latency of the
	// canary, in milliseconds. Default 500; 0 turns the absolute threshold off.
	MaxP99Ms *float64 `json:"maxP99Ms,omitempty" yaml:"maxP99Ms,omitempty" jsonschema:"minimum=0"`
	// CompareStable, when present, also compares the built-in metrics with
	// the stable version measured over the same window: a canary that misses
	// an absolute threshold still passes if it is no worse than stable by
	// more than the tolerance.
	CompareStable *StableComparison `json:"compareStable,omitempty" yaml:"compareStable,omitempty"`
	// Metrics are custom PromQL checks.
	Metrics []Metric `json:"metrics,omitempty" yaml:"metrics,omitempty"`
	// Webhooks are HTTP gates called before each traffic increase and before
	// promotion; each must answer 2xx.
	Webhooks []Webhook `json:"webhooks,omitempty" yaml:"webhooks,omitempty"`
	// Guard is the fast guard read on every scrape; on by default whenever
	// metrics are measured (see Guard).
	Guard *Guard `json:"guard,omitempty" yaml:"guard,omitempty"`
}

// StableComparison is the tolerance of the built-in metrics against stable.
type StableComparison struct {
	// SuccessRateDrop is how many percentage points the canary's success
	// rate may fall below stable's. Default 1.
	SuccessRateDrop *float64 `json:"successRateDrop,omitempty" yaml:"successRateDrop,omitempty" jsonschema:"minimum=0"`
	// P99Ratio is how many times stable's p99 latency the canary's may be.
	// Default 1.2.
	P99Ratio *float64 `json:"p99Ratio,omitempty" yaml:"p99Ratio,omitempty" jsonschema:"minimum=1"`
}

// Metric is a custom check: a PromQL query that yields one number, and the
// range that number must stay in.
type Metric struct {
	// Name identifies the metric in reports; kebab-case, unique.
	Name string `json:"name" yaml:"name" jsonschema:"pattern=^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"`
	// Query is a Go text/template of a PromQL query that returns a single
	// series or a scalar. It may use {{.Service}}, {{.Namespace}},
	// {{.Version}}, {{.Workload}}, {{.Cluster}} (the Istio cluster ID of the
	// side's cluster when the topology puts the sides in different clusters,
	// else empty), {{.Interval}} (Prometheus duration text, 30s) and
	// {{.Selector}} (the Istio label matchers of the side measured,
	// destination_cluster included when Cluster is set).
	Query string `json:"query" yaml:"query" jsonschema:"minLength=1"`
	// Min is the lowest acceptable value.
	Min *float64 `json:"min,omitempty" yaml:"min,omitempty"`
	// Max is the highest acceptable value.
	Max *float64 `json:"max,omitempty" yaml:"max,omitempty"`
	// CompareStable also runs the query for stable over the same window. It
	// needs exactly one of Min and Max, which says which way is worse.
	CompareStable *Tolerance `json:"compareStable,omitempty" yaml:"compareStable,omitempty"`
}

// Tolerance is how much worse than stable the canary may be. When both
// fields are set, both must hold.
type Tolerance struct {
	// MaxDelta is the largest difference, in the metric's unit.
	MaxDelta *float64 `json:"maxDelta,omitempty" yaml:"maxDelta,omitempty" jsonschema:"minimum=0"`
	// MaxRatio is the largest factor (1.2 = 20% worse).
	MaxRatio *float64 `json:"maxRatio,omitempty" yaml:"maxRatio,omitempty" jsonschema:"minimum=1"`
}

// Webhook is an HTTP gate, in the manner of Flagger's webhooks: aviary POSTs
// a WebhookRequest as JSON and proceeds only on a 2xx answer.
type Webhook struct {
	// Name identifies the webhook in reports; default "webhook-<n>".
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// URL is an http or https URL. It may carry a token, so reports show
	// only its name.
	URL string `json:"url" yaml:"url" jsonschema:"minLength=1"`
	// Timeout bounds one call. Default 10s.
	Timeout Duration `json:"timeout,omitzero" yaml:"timeout,omitempty"`
	// Phases are the moments the webhook is called: step (before each
	// traffic increase), promotion, and switch (before rebuild-cluster
	// switches traffic to the side it rebuilt). Default step and
	// promotion.
	Phases []Phase `json:"phases,omitempty" yaml:"phases,omitempty" jsonschema:"enum=step,enum=promotion,enum=switch"`
	// Metadata is passed through in the request body.
	Metadata map[string]string `json:"metadata,omitempty" yaml:"metadata,omitempty"`
}

// Policy says what a measurement that is not a plain pass or fail does.
type Policy string

// The policies.
const (
	// Hold keeps measuring: the step passes only if a later measurement
	// passes; if the step's measurements run out while held, it fails.
	Hold Policy = "hold"
	// Fail counts the measurement as failed.
	Fail Policy = "fail"
	// Ignore leaves the measurement out of the decision (OnError only).
	Ignore Policy = "ignore"
)

// Phase is the moment a gate is checked.
type Phase string

// The phases.
const (
	// PhaseStep is after a traffic step, before the next increase.
	PhaseStep Phase = "step"
	// PhasePromotion is before the canary is promoted.
	PhasePromotion Phase = "promotion"
	// PhaseSwitch is before rebuild-cluster switches traffic to the side
	// it rebuilt, once that side is ready.
	PhaseSwitch Phase = "switch"
)

// The analysis defaults.
const (
	DefaultInterval       = 30 * time.Second
	DefaultMeasurements   = 3
	DefaultFailureLimit   = 2
	DefaultMinRequests    = 20
	DefaultSuccessRate    = 99.0
	DefaultMaxP99Ms       = 500.0
	DefaultSuccessDrop    = 1.0
	DefaultP99Ratio       = 1.2
	DefaultWebhookTimeout = 10 * time.Second
)

// WithDefaults returns a copy of s with every unset field filled in. Slices
// and pointed-to values are copied, so the result can be changed freely.
func (s Analysis) WithDefaults() Analysis {
	if s.Interval.Duration == 0 {
		s.Interval.Duration = DefaultInterval
	}
	if s.Measurements == 0 {
		s.Measurements = DefaultMeasurements
	}
	if s.FailureLimit == 0 {
		s.FailureLimit = DefaultFailureLimit
	}
	s.MinRequests = orDefault(s.MinRequests, DefaultMinRequests)
	if s.Inconclusive == "" {
		s.Inconclusive = Hold
	}
	if s.OnError == "" {
		s.OnError = Fail
	}
	s.SuccessRate = orDefault(s.SuccessRate, DefaultSuccessRate)
	s.MaxP99Ms = orDefault(s.MaxP99Ms, DefaultMaxP99Ms)
	if s.CompareStable != nil {
		c := *s.CompareStable
		c.SuccessRateDrop = orDefault(c.SuccessRateDrop, DefaultSuccessDrop)
		c.P99Ratio = orDefault(c.P99Ratio, DefaultP99Ratio)
		s.CompareStable = &c
	}
	s.Metrics = append([]Metric(nil), s.Metrics...)
	var hooks []Webhook
	for i, w := range s.Webhooks {
		if w.Name == "" {
			w.Name = fmt.Sprintf("webhook-%d", i+1)
		}
		if w.Timeout.Duration == 0 {
			w.Timeout.Duration = DefaultWebhookTimeout
		}
		if len(w.Phases) == 0 {
			w.Phases = []Phase{PhaseStep, PhasePromotion}
		}
		hooks = append(hooks, w)
	}
	s.Webhooks = hooks
	g := Guard{}
	if s.Guard != nil {
		g = *s.Guard
	}
	g = g.withDefaults()
	s.Guard = &g
	return s
}

// MetricsEnabled reports whether the spec measures metrics at all, which
// takes a Prometheus URL.
func (s Analysis) MetricsEnabled() bool { return s.PrometheusURL != "" }

func orDefault[T any](p *T, def T) *T {
	v := def
	if p != nil {
		v = *p
	}
	return &v
}

// validateAnalysis adds every problem of the analysis section to l, each at
// its path so that it gets a line number.
func validateAnalysis(a Analysis, l *problemList) {
	*l = append(*l, a.WithDefaults().Problems()...)
}
