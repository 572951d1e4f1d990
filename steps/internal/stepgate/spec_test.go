package stepgate_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/analysis"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/steps/internal/stepgate"
)

func ptr[T any](v T) *T { return &v }

func inputs(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

func TestSpec(t *testing.T) {
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
				Guard: &analysis.GuardSpec{
					ScrapeInterval: analysis.Duration{Duration: 15 * time.Second}, Scrapes: 2,
					MinRequests: ptr(10), SuccessRate: ptr(50.0), P99Factor: ptr(10.0),
				},
			}
			if d := cmp.Diff(want, s); d != "" {
				t.Errorf("Spec() (-want +got):\n%s", d)
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
				t.Errorf("Spec() (-want +got):\n%s", d)
			}
		}},
		{"compare-stable false drops the config's comparison", map[string]string{"compare-stable": "false"}, func(t *testing.T, s analysis.Spec) {
			if s.CompareStable != nil {
				t.Errorf("Spec().CompareStable = %+v, want nil", s.CompareStable)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := stepgate.Spec(inputs(tt.inputs), base)
			if err != nil {
				t.Fatalf("Spec() = %v", err)
			}
			tt.check(t, s)
		})
	}
	if base.Measurements != 0 || len(base.Webhooks) != 1 {
		t.Error("Spec changed its base")
	}
}

func TestSpecInvalid(t *testing.T) {
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
		_, err := stepgate.Spec(inputs(tt.inputs), analysis.Spec{})
		if outcome.KindOf(err) != outcome.KindInvalid {
			t.Errorf("Spec(%v) = %v, want an invalid outcome", tt.inputs, err)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Spec(%v) = %q, want it to contain %q", tt.inputs, err, w)
			}
		}
		if strings.Contains(err.Error(), "token@") {
			t.Errorf("Spec(%v) = %q, which leaks the webhook URL", tt.inputs, err)
		}
	}
}
