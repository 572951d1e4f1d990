package analysis

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var nan = math.NaN()

func ptr[T any](v T) *T { return &v }

var apiTarget = Target{Service: "api", Canary: Side{Namespace: "shop", Version: "v2"}, Stable: Side{Namespace: "shop", Version: "v1"}}

// readings builds one target's readings from canary (and stable) values of
// the built-in metrics.
func readings(req, stableReq, success, stableSuccess, p99, stableP99 float64) Readings {
	return Readings{
		Target: apiTarget, Requests: req, StableRequests: stableReq,
		Metrics: []Reading{
			{Metric: MetricSuccessRate, Canary: success, Stable: stableSuccess},
			{Metric: MetricP99Latency, Canary: p99, Stable: stableP99},
		},
	}
}

func TestEvaluate(t *testing.T) {
	abs := Spec{}.WithDefaults() // 99%, 500 ms, 20 requests
	cmpStable := Spec{CompareStable: &StableComparison{}}.WithDefaults()
	onlyStable := Spec{SuccessRate: ptr(0.0), MaxP99Ms: ptr(0.0), CompareStable: &StableComparison{}}.WithDefaults()
	noMin := Spec{MinRequests: ptr(0)}.WithDefaults()
	tests := []struct {
		name  string
		spec  Spec
		round []Readings
		want  Status
		// per metric: "service metric" -> status
		metrics map[string]Status
		reason  string // substring of the verdict's reason
	}{
		{
			name:    "healthy canary passes",
			spec:    abs,
			round:   []Readings{readings(500, nan, 99.9, nan, 120, nan)},
			want:    StatusPass,
			metrics: map[string]Status{"requests": StatusPass, "success-rate": StatusPass, "p99-latency": StatusPass},
		},
		{
			name:    "exactly at the thresholds passes",
			spec:    abs,
			round:   []Readings{readings(20, nan, 99, nan, 500, nan)},
			want:    StatusPass,
			metrics: map[string]Status{"requests": StatusPass, "success-rate": StatusPass, "p99-latency": StatusPass},
		},
		{
			name:    "5% errors fail",
			spec:    abs,
			round:   []Readings{readings(500, nan, 95, nan, 120, nan)},
			want:    StatusFail,
			metrics: map[string]Status{"requests": StatusPass, "success-rate": StatusFail, "p99-latency": StatusPass},
			reason:  "api success-rate: 95.00% < 99.00%",
		},
		{
			name:    "latency regression fails",
			spec:    abs,
			round:   []Readings{readings(500, nan, 100, nan, 900, nan)},
			want:    StatusFail,
			metrics: map[string]Status{"requests": StatusPass, "success-rate": StatusPass, "p99-latency": StatusFail},
			reason:  "900 ms > 500 ms",
		},
		{
			name:    "no traffic is inconclusive, not a pass",
			spec:    abs,
			round:   []Readings{readings(nan, nan, nan, nan, nan, nan)},
			want:    StatusInconclusive,
			metrics: map[string]Status{"requests": StatusInconclusive, "success-rate": StatusInconclusive, "p99-latency": StatusInconclusive},
			reason:  "0 requests, fewer than 20",
		},
		{
			name:    "too few requests hide even perfect values",
			spec:    abs,
			round:   []Readings{readings(19, nan, 100, nan, 10, nan)},
			want:    StatusInconclusive,
			metrics: map[string]Status{"requests": StatusInconclusive, "success-rate": StatusInconclusive, "p99-latency": StatusInconclusive},
		},
		{
			name:    "too few requests hide a failure too",
			spec:    abs,
			round:   []Readings{readings(5, nan, 0, nan, 10, nan)},
			want:    StatusInconclusive,
			metrics: map[string]Status{"requests": StatusInconclusive, "success-rate": StatusInconclusive, "p99-latency": StatusInconclusive},
		},
		{
			name:    "without a minimum, missing latency data is inconclusive",
			spec:    noMin,
			round:   []Readings{readings(nan, nan, 100, nan, nan, nan)},
			want:    StatusInconclusive,
			metrics: map[string]Status{"success-rate": StatusPass, "p99-latency": StatusInconclusive},
			reason:  "no data",
		},
		{
			name:    "as noisy as stable passes under the comparison",
			spec:    cmpStable,
			round:   []Readings{readings(500, 500, 95, 95, 120, 110)},
			want:    StatusPass,
			metrics: map[string]Status{"requests": StatusPass, "success-rate": StatusPass, "p99-latency": StatusPass},
		},
		{
			name:    "as noisy as stable fails the absolute threshold",
			spec:    abs,
			round:   []Readings{readings(500, 500, 95, 95, 120, 110)},
			want:    StatusFail,
			metrics: map[string]Status{"requests": StatusPass, "success-rate": StatusFail, "p99-latency": StatusPass},
		},
		{
			name:    "more than a point worse than stable fails",
			spec:    cmpStable,
			round:   []Readings{readings(500, 500, 93.9, 95, 120, 110)},
			want:    StatusFail,
			metrics: map[string]Status{"requests": StatusPass, "success-rate": StatusFail, "p99-latency": StatusPass},
			reason:  "worse than stable 95.00%, limit 94.00%",
		},
		{
			name:    "slow like stable passes within 1.2 times",
			spec:    cmpStable,
			round:   []Readings{readings(500, 500, 100, 100, 1150, 1000)},
			want:    StatusPass,
			metrics: map[string]Status{"requests": StatusPass, "success-rate": StatusPass, "p99-latency": StatusPass},
		},
		{
			name:    "slower than 1.2 times stable fails",
			spec:    cmpStable,
			round:   []Readings{readings(500, 500, 100, 100, 1300, 1000)},
			want:    StatusFail,
			metrics: map[string]Status{"requests": StatusPass, "success-rate": StatusPass, "p99-latency": StatusFail},
		},
		{
			name:    "stable without traffic cannot excuse a miss",
			spec:    cmpStable,
			round:   []Readings{readings(500, 3, 95, 95, 120, 110)},
			want:    StatusFail,
			metrics: map[string]Status{"requests": StatusPass, "success-rate": StatusFail, "p99-latency": StatusPass},
			reason:  "stable has 3 requests, fewer than 20",
		},
		{
			name:    "comparison only: stable without data is inconclusive",
			spec:    onlyStable,
			round:   []Readings{readings(500, nan, 99.9, nan, 120, nan)},
			want:    StatusInconclusive,
			metrics: map[string]Status{"requests": StatusPass, "success-rate": StatusInconclusive, "p99-latency": StatusInconclusive},
		},
		{
			name:    "comparison only: better than stable passes",
			spec:    onlyStable,
			round:   []Readings{readings(500, 500, 99.9, 99, 120, 200)},
			want:    StatusPass,
			metrics: map[string]Status{"requests": StatusPass, "success-rate": StatusPass, "p99-latency": StatusPass},
		},
		{
			name: "a query error outweighs no data but not a failure",
			spec: abs,
			round: []Readings{
				{Target: Target{Service: "web"}, Err: errors.New("connection refused")},
				readings(500, nan, 99.9, nan, 120, nan),
			},
			want:    StatusError,
			metrics: map[string]Status{"": StatusError, "requests": StatusPass, "success-rate": StatusPass, "p99-latency": StatusPass},
			reason:  "web: connection refused",
		},
		{
			name: "one failing service fails the measurement",
			spec: abs,
			round: []Readings{
				{Target: Target{Service: "web"}, Err: errors.New("connection refused")},
				readings(500, nan, 90, nan, 120, nan),
			},
			want: StatusFail,
		},
		{
			name:  "nothing measured is inconclusive",
			spec:  abs,
			round: nil,
			want:  StatusInconclusive,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Evaluate(tt.round, tt.spec)
			if v.Status != tt.want {
				t.Errorf("Evaluate().Status = %s, want %s (reason %q)", v.Status, tt.want, v.Reason)
			}
			if tt.metrics != nil {
				got := map[string]Status{}
				for _, r := range v.Results {
					if r.Service == "api" || r.Metric == "" {
						got[r.Metric] = r.Status
					}
				}
				if d := cmp.Diff(tt.metrics, got); d != "" {
					t.Errorf("Evaluate() metric statuses (-want +got):\n%s", d)
				}
			}
			if !strings.Contains(v.Reason, tt.reason) {
				t.Errorf("Evaluate().Reason = %q, want it to contain %q", v.Reason, tt.reason)
			}
		})
	}
}

func TestEvaluateCustomMetric(t *testing.T) {
	spec := Spec{
		MinRequests: ptr(0), SuccessRate: ptr(0.0), MaxP99Ms: ptr(0.0),
		Metrics: []Metric{
			{Name: "error-budget", Query: "x", Min: ptr(0.2), Max: ptr(1.0)},
			{Name: "cpu", Query: "x", Max: ptr(0.5), CompareStable: &Tolerance{MaxDelta: ptr(0.1), MaxRatio: ptr(1.5)}},
		},
	}.WithDefaults()
	tests := []struct {
		name      string
		budget    float64
		cpu, base float64
		want      map[string]Status
		threshold string
	}{
		{"in range", 0.5, 0.4, nan, map[string]Status{"error-budget": StatusPass, "cpu": StatusPass}, "≤ 0.5 or ≤ stable + 0.1 and stable × 1.5"},
		{"below min", 0.1, 0.4, nan, map[string]Status{"error-budget": StatusFail, "cpu": StatusPass}, ""},
		{"above max", 1.1, 0.4, nan, map[string]Status{"error-budget": StatusFail, "cpu": StatusPass}, ""},
		// Stable 0.5: delta allows 0.6, ratio 0.75; the stricter one holds.
		{"within the stricter tolerance", 0.5, 0.58, 0.5, map[string]Status{"error-budget": StatusPass, "cpu": StatusPass}, "(0.6)"},
		{"beyond the stricter tolerance", 0.5, 0.62, 0.5, map[string]Status{"error-budget": StatusPass, "cpu": StatusFail}, "(0.6)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd := Readings{Target: apiTarget, Metrics: []Reading{
				{Metric: "error-budget", Canary: tt.budget, Stable: nan},
				{Metric: "cpu", Canary: tt.cpu, Stable: tt.base},
			}}
			v := Evaluate([]Readings{rd}, spec)
			got := map[string]Status{}
			threshold := ""
			for _, r := range v.Results {
				got[r.Metric] = r.Status
				if r.Metric == "cpu" {
					threshold = r.Threshold
				}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Evaluate() statuses (-want +got):\n%s", d)
			}
			if !strings.Contains(threshold, tt.threshold) {
				t.Errorf("cpu threshold = %q, want it to contain %q", threshold, tt.threshold)
			}
		})
	}
}

func TestEvaluateInfiniteLatencyFails(t *testing.T) {
	v := Evaluate([]Readings{readings(500, nan, 100, nan, math.Inf(1), nan)}, Spec{}.WithDefaults())
	if v.Status != StatusFail {
		t.Errorf("Evaluate(p99 = +Inf).Status = %s, want fail", v.Status)
	}
}
