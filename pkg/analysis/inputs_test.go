package analysis_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/analysis"
	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/step"
)

func ptr[T any](v T) *T { return &v }

func inputs(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

func TestFromInputs(t *testing.T) {
	base := analysis.Spec{
		PrometheusURL: "http://prometheus.istio-system:9090",
		Interval:      analysis.Duration{Duration: time.Minute},
		SuccessRate:   ptr(99.9),
		Webhooks:      []analysis.Webhook{{Name: "load-test", URL: "https://hooks.example/load"}},
	}
	tests := []struct {
		name   string
		inputs map[string]string
		check  func(t *testing.T, s analysis.Spec)
	}{
		{"no inputs keep the config and fill defaults", nil, func(t *testing.T, s analysis.Spec) {
			want := analysis.Spec{
				PrometheusURL: "http://prometheus.istio-system:9090",
				Interval:      analysis.Duration{Duration: time.Minute},
				Measurements:  3, FailureLimit: 2, MinRequests: ptr(20),
				Inconclusive: analysis.Hold, OnError: analysis.Fail,
				SuccessRate: ptr(99.9), MaxP99Ms: ptr(500.0),
				Webhooks: []analysis.Webhook{{Name: "load-test", URL: "https://hooks.example/load", Timeout: analysis.Duration{Duration: 10 * time.Second}, Phases: []analysis.Phase{"step", "promotion"}}},
			}
			if d := cmp.Diff(want, s); d != "" {
				t.Errorf("FromInputs() (-want +got):\n%s", d)
			}
		}},
		{"every input overrides", map[string]string{
			"prometheus-url": "http://localhost:9090", "analysis-interval": "5s", "analysis-measurements": "4",
			"failure-limit": "1", "min-requests": "0", "success-rate": "99.5%", "max-p99-ms": "250",
			"compare-stable": "true", "inconclusive": "fail", "analysis-on-error": "ignore", "webhook": "https://gate.example/?token=x",
		}, func(t *testing.T, s analysis.Spec) {
			got := []any{s.PrometheusURL, s.Interval.Duration, s.Measurements, s.FailureLimit, *s.MinRequests, *s.SuccessRate, *s.MaxP99Ms,
				*s.CompareStable.SuccessRateDrop, *s.CompareStable.P99Ratio, s.Inconclusive, s.OnError, len(s.Webhooks), s.Webhooks[1].Name}
			want := []any{"http://localhost:9090", 5 * time.Second, 4, 1, 0, 99.5, 250.0, 1.0, 1.2, analysis.Fail, analysis.Ignore, 2, "webhook"}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("FromInputs() (-want +got):\n%s", d)
			}
		}},
		{"compare-stable false drops the config's comparison", map[string]string{"compare-stable": "false"}, func(t *testing.T, s analysis.Spec) {
			if s.CompareStable != nil {
				t.Errorf("FromInputs().CompareStable = %+v, want nil", s.CompareStable)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := analysis.FromInputs(inputs(tt.inputs), base)
			if err != nil {
				t.Fatalf("FromInputs() = %v", err)
			}
			tt.check(t, s)
		})
	}
	if base.Measurements != 0 || len(base.Webhooks) != 1 {
		t.Error("FromInputs changed its base")
	}
}

func TestFromInputsInvalid(t *testing.T) {
	tests := []struct {
		inputs map[string]string
		want   []string
	}{
		{map[string]string{"analysis-interval": "5"}, []string{`input analysis-interval: "5" is not a duration`}},
		{map[string]string{"analysis-interval": "100ms"}, []string{"canary.analysis.interval (input analysis-interval): 100ms is shorter than 1s"}},
		{map[string]string{"success-rate": "high", "failure-limit": "two"}, []string{`input failure-limit: "two" is not a whole number`, `input success-rate: "high" is not a number`}},
		{map[string]string{"success-rate": "101"}, []string{"101 is not a percentage between 0 and 100"}},
		{map[string]string{"inconclusive": "ignore"}, []string{`canary.analysis.inconclusive (input inconclusive): "ignore" is not one of hold, fail`}},
		{map[string]string{"analysis-on-error": "retry"}, []string{`"retry" is not one of fail, hold, ignore`}},
		{map[string]string{"prometheus-url": "prometheus:9090"}, []string{"canary.analysis.prometheusURL (input prometheus-url): not an http or https URL"}},
		{map[string]string{"compare-stable": "yes"}, []string{`input compare-stable: "yes" is not true or false`}},
		{map[string]string{"webhook": "ftp://token@hooks.example"}, []string{"canary.analysis.webhooks[0].url: not an http or https URL"}},
	}
	for _, tt := range tests {
		_, err := analysis.FromInputs(inputs(tt.inputs), analysis.Spec{})
		if outcome.KindOf(err) != outcome.KindInvalid {
			t.Errorf("FromInputs(%v) = %v, want an invalid outcome", tt.inputs, err)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("FromInputs(%v) = %q, want it to contain %q", tt.inputs, err, w)
			}
		}
		if strings.Contains(err.Error(), "token@") {
			t.Errorf("FromInputs(%v) = %q, which leaks the webhook URL", tt.inputs, err)
		}
	}
}

func TestSpecValidate(t *testing.T) {
	spec := analysis.Spec{
		Metrics: []analysis.Metric{
			{Name: "Bad Name", Query: "up", Max: ptr(1.0)},
			{Name: "success-rate", Query: "up", Max: ptr(1.0)},
			{Name: "unbounded", Query: "up"},
			{Name: "upside-down", Query: "up", Min: ptr(2.0), Max: ptr(1.0)},
			{Name: "two-ways", Query: "up", Min: ptr(0.0), Max: ptr(1.0), CompareStable: &analysis.Tolerance{MaxRatio: ptr(0.5)}},
			{Name: "broken", Query: "{{.Service", Max: ptr(1.0)},
		},
		Webhooks: []analysis.Webhook{{Name: "a", URL: "http://x"}, {Name: "a", URL: "http://y", Phases: []analysis.Phase{"deploy"}}},
	}.WithDefaults()
	err := spec.Validate()
	for _, want := range []string{
		`metrics[0].name: "Bad Name" is not a kebab-case name`,
		`metrics[1].name: "success-rate" is used twice or is a built-in metric`,
		"metrics[2].min: a metric needs min, max or compareStable",
		"metrics[3].min: 2 is above max 1",
		"metrics[4].compareStable: needs exactly one of min and max",
		"metrics[4].compareStable.maxRatio: 0.5 is below 1",
		"metrics[5].query: parsing query template",
		`webhooks[1].name: "a" is used twice`,
		`webhooks[1].phases: "deploy" is not one of step, promotion`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to contain %q", err, want)
		}
	}
}

func TestSpecYAMLNames(t *testing.T) {
	// The JSON names are the aviary.yaml keys documented in docs/analysis.md.
	var s analysis.Spec
	doc := `{"prometheusURL":"http://p:9090","interval":"10s","measurements":5,"failureLimit":3,"minRequests":0,
	"inconclusive":"fail","onError":"hold","successRate":99.5,"maxP99Ms":300,
	"compareStable":{"successRateDrop":2,"p99Ratio":1.5},
	"metrics":[{"name":"cpu","query":"sum(x)","max":0.8,"compareStable":{"maxRatio":1.3}}],
	"webhooks":[{"name":"qa","url":"https://qa.example","timeout":"3s","phases":["promotion"],"metadata":{"k":"v"}}]}`
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("decoding %s: %v", doc, err)
	}
	if err := s.WithDefaults().Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
	if s.Interval.Duration != 10*time.Second || *s.MinRequests != 0 || s.Webhooks[0].Timeout.Duration != 3*time.Second {
		t.Errorf("decoded spec = %+v", s)
	}
}

// TestInputsFitTheSteps checks that the analysis inputs can be appended to
// the shift-weight and promote definitions: no clash with their own inputs
// or the common ones.
func TestInputsFitTheSteps(t *testing.T) {
	mine := func(in step.Input) bool {
		return slices.ContainsFunc(analysis.Inputs, func(a step.Input) bool { return a.Name == in.Name && a.Description == in.Description })
	}
	for _, def := range []step.Definition{catalog.ShiftWeight, catalog.Promote} {
		def.Inputs = append(slices.DeleteFunc(slices.Clone(def.Inputs), mine), analysis.Inputs...)
		if err := def.Validate(); err != nil {
			t.Errorf("%s with the analysis inputs: %v", def.Name, err)
		}
	}
	for _, in := range analysis.Inputs {
		if in.Default != "" {
			t.Errorf("input %s has default %q; analysis inputs must default to empty so that the config's value applies", in.Name, in.Default)
		}
	}
}
