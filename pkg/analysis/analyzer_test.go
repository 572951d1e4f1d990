package analysis

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/clock"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

func newTestAnalyzer(t *testing.T, prom *fakeProm, spec Spec, opts Options) *Analyzer {
	t.Helper()
	spec.PrometheusURL = prom.URL
	opts.Querier = prom
	if opts.Wait == nil {
		opts.Wait = instant
	}
	a, err := New(spec, []Target{apiTarget}, opts)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	return a
}

func stepStatuses(r Report) []Status {
	var s []Status
	for _, st := range r.Steps {
		s = append(s, st.Status)
	}
	return s
}

func measurementStatuses(r Report) [][]Status {
	var all [][]Status
	for _, st := range r.Steps {
		var s []Status
		for _, m := range st.Measurements {
			s = append(s, m.Status)
		}
		all = append(all, s)
	}
	return all
}

func TestAnalyzerHealthyCanaryWalksTo50(t *testing.T) {
	prom := newFakeProm(t)
	prom.set("v2", 600, 99.95, 80)
	var seen []Measurement
	a := newTestAnalyzer(t, prom, Spec{}, Options{OnMeasurement: func(m Measurement) { seen = append(seen, m) }})
	router := &fakeRouter{}
	if err := walk(t.Context(), a, router, 5, 10, 25, 50); err != nil {
		t.Fatalf("walk() = %v, want nil", err)
	}
	if got := router.current(); got != 50 {
		t.Errorf("weight after the walk = %d, want 50", got)
	}
	r := a.Report()
	if d := cmp.Diff([]Status{StatusPass, StatusPass, StatusPass, StatusPass}, stepStatuses(r)); d != "" {
		t.Errorf("step statuses (-want +got):\n%s", d)
	}
	if r.Status != StatusPass {
		t.Errorf("Report().Status = %s, want pass", r.Status)
	}
	if got, want := len(seen), 4*DefaultMeasurements; got != want {
		t.Errorf("OnMeasurement calls = %d, want %d", got, want)
	}
	last := seen[len(seen)-1]
	if last.Weight != 50 || last.Index != 3 || last.Of != 3 || !last.Decision.Done {
		t.Errorf("last measurement = weight %d, %d/%d, done %v; want weight 50, 3/3, done", last.Weight, last.Index, last.Of, last.Decision.Done)
	}
	// Every query filters on the canary's labels as the receiving proxy reports them.
	for _, q := range prom.seen() {
		for _, want := range []string{`reporter="destination"`, `destination_workload_namespace="shop"`, `destination_service_name="api"`, `destination_version="v2"`, "[30s]"} {
			if !strings.Contains(q, want) {
				t.Errorf("query %s lacks %s", q, want)
			}
		}
	}
}

func TestAnalyzerFailures(t *testing.T) {
	tests := []struct {
		name         string
		spec         Spec
		canary       fakeSide
		stable       *fakeSide
		measurements []Status
		reason       string
	}{
		{
			name:         "5% errors fail and roll back",
			canary:       fakeSide{600, 95, 80},
			measurements: []Status{StatusFail, StatusFail},
			reason:       "success-rate: 95.00% < 99.00%",
		},
		{
			name:         "latency regression is caught",
			canary:       fakeSide{600, 100, 1200},
			measurements: []Status{StatusFail, StatusFail},
			reason:       "p99-latency: 1200 ms > 500 ms",
		},
		{
			name:         "no traffic is inconclusive, never a pass",
			canary:       fakeSide{math.NaN(), math.NaN(), math.NaN()},
			measurements: []Status{StatusInconclusive, StatusInconclusive, StatusInconclusive},
			reason:       "still inconclusive after 3 measurements",
		},
		{
			name:         "no traffic under inconclusive: fail fails sooner",
			spec:         Spec{Inconclusive: Fail},
			canary:       fakeSide{3, 100, 10},
			measurements: []Status{StatusInconclusive, StatusInconclusive},
			reason:       "3 requests, fewer than 20",
		},
		{
			name:         "as noisy as stable fails an absolute threshold",
			canary:       fakeSide{600, 95, 80},
			stable:       &fakeSide{600, 95, 80},
			measurements: []Status{StatusFail, StatusFail},
			reason:       "95.00% < 99.00%",
		},
		{
			name:         "worse than a noisy stable fails the comparison too",
			spec:         Spec{CompareStable: &StableComparison{}},
			canary:       fakeSide{600, 90, 80},
			stable:       &fakeSide{600, 95, 80},
			measurements: []Status{StatusFail, StatusFail},
			reason:       "worse than stable 95.00%",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prom := newFakeProm(t)
			prom.set("v2", tt.canary.requests, tt.canary.success, tt.canary.p99)
			if tt.stable != nil {
				prom.set("v1", tt.stable.requests, tt.stable.success, tt.stable.p99)
			}
			a := newTestAnalyzer(t, prom, tt.spec, Options{})
			router := &fakeRouter{}
			err := walk(t.Context(), a, router, 5, 10)
			if !errors.Is(err, ErrAnalysisFailed) || outcome.KindOf(err) != outcome.KindNegative {
				t.Fatalf("walk() = %v, want a negative outcome wrapping ErrAnalysisFailed", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("walk() = %q, want it to contain %q", err, tt.reason)
			}
			if d := cmp.Diff([]int{5, 0}, router.history); d != "" {
				t.Errorf("router weights (-want +got):\n%s", d)
			}
			r := a.Report()
			if d := cmp.Diff([][]Status{tt.measurements}, measurementStatuses(r)); d != "" {
				t.Errorf("measurements (-want +got):\n%s", d)
			}
			if r.Status != StatusFail {
				t.Errorf("Report().Status = %s, want fail", r.Status)
			}
		})
	}
}

func TestAnalyzerNoisyStablePassesUnderComparison(t *testing.T) {
	prom := newFakeProm(t)
	prom.set("v2", 600, 95, 300)
	prom.set("v1", 600, 95, 290)
	a := newTestAnalyzer(t, prom, Spec{CompareStable: &StableComparison{}}, Options{})
	if err := walk(t.Context(), a, &fakeRouter{}, 10, 50); err != nil {
		t.Fatalf("walk() = %v, want nil", err)
	}
	// The stable side is measured with the same window and its own labels.
	var stableQueries int
	for _, q := range prom.seen() {
		if strings.Contains(q, `destination_version="v1"`) {
			stableQueries++
		}
	}
	if stableQueries == 0 {
		t.Error("no query measured stable")
	}
}

func TestAnalyzerPrometheusUnreachable(t *testing.T) {
	tests := []struct {
		name     string
		onError  Policy
		wantErr  bool
		statuses []Status
	}{
		{"fails safe by default", "", true, []Status{StatusError, StatusError}},
		{"hold fails when measurements run out", Hold, true, []Status{StatusError, StatusError, StatusError}},
		{"ignore lets the step through", Ignore, false, []Status{StatusError, StatusError, StatusError}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prom := newFakeProm(t)
			prom.fail(errors.New("querying prometheus: dial tcp 127.0.0.1:9090: connect: connection refused"))
			a := newTestAnalyzer(t, prom, Spec{OnError: tt.onError}, Options{})
			router := &fakeRouter{}
			err := walk(t.Context(), a, router, 10)
			if (err != nil) != tt.wantErr {
				t.Fatalf("walk() = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && outcome.KindOf(err) != outcome.KindNegative {
				t.Errorf("outcome.KindOf(%v) = %v, want negative (traffic was rolled back)", err, outcome.KindOf(err))
			}
			if err != nil && !strings.Contains(err.Error(), "connection refused") {
				t.Errorf("walk() = %v, want it to say why", err)
			}
			if d := cmp.Diff([][]Status{tt.statuses}, measurementStatuses(a.Report())); d != "" {
				t.Errorf("measurements (-want +got):\n%s", d)
			}
		})
	}
}

func TestAnalyzerNeedsAQuerier(t *testing.T) {
	if _, err := New(Spec{PrometheusURL: "http://prom:9090"}, []Target{apiTarget}, Options{}); err == nil {
		t.Error("New(no querier) = nil error, want one")
	}
}

func TestAnalyzerCustomMetric(t *testing.T) {
	prom := newFakeProm(t)
	prom.set("v2", 600, 100, 10)
	prom.custom[`sum(rate(app_queue_depth{namespace="shop",version="v2"}[30s]))`] = 7
	spec := Spec{Metrics: []Metric{{Name: "queue", Query: `sum(rate(app_queue_depth{namespace="{{.Namespace}}",version="{{.Version}}"}[{{.Interval}}]))`, Max: ptr(5.0)}}}
	a := newTestAnalyzer(t, prom, spec, Options{})
	err := a.Check(t.Context(), 10)
	if err == nil || !strings.Contains(err.Error(), "queue: 7 > 5") {
		t.Fatalf("Check() = %v, want a failure of the queue metric", err)
	}
}

func TestPreflight(t *testing.T) {
	prom := newFakeProm(t)
	prom.set("v2", 600, 100, 10)
	good := newTestAnalyzer(t, prom, Spec{}, Options{})
	if err := good.Preflight(t.Context()); err != nil {
		t.Errorf("Preflight() = %v, want nil", err)
	}
	typo := newTestAnalyzer(t, prom, Spec{Metrics: []Metric{{Name: "typo", Query: "sum(rate(x[{{.Interval}}])", Max: ptr(1.0)}}}, Options{})
	if err := typo.Preflight(t.Context()); outcome.KindOf(err) != outcome.KindInvalid || !errors.Is(err, ErrBadQuery) {
		t.Errorf("Preflight(typo) = %v, want an invalid outcome wrapping ErrBadQuery", err)
	}
	prom.fail(errors.New("querying prometheus: server error: 502"))
	if err := good.Preflight(t.Context()); outcome.KindOf(err) != outcome.KindExternal {
		t.Errorf("Preflight(prometheus down) = %v, want an external outcome", err)
	}
	if got := len(good.Report().Steps); got != 0 {
		t.Errorf("steps recorded by Preflight = %d, want 0", got)
	}
}

func TestAnalyzerCancelled(t *testing.T) {
	prom := newFakeProm(t)
	prom.set("v2", 600, 100, 10)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	a := newTestAnalyzer(t, prom, Spec{}, Options{Wait: clock.Sleep})
	err := a.Check(ctx, 10)
	if !errors.Is(err, context.Canceled) || outcome.KindOf(err) != outcome.KindUnknown {
		t.Errorf("Check(cancelled) = %v, want context.Canceled, unclassified", err)
	}
}

func TestAnalyzerDisabled(t *testing.T) {
	a, err := New(Spec{}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Enabled() {
		t.Error("Enabled() = true without Prometheus or webhooks")
	}
	if err := a.Check(t.Context(), 10); err != nil {
		t.Errorf("Check() = %v, want nil", err)
	}
	if md := a.Markdown(); !strings.Contains(md, "No analysis was configured") {
		t.Errorf("Markdown() = %q, want it to say nothing was configured", md)
	}
}

func TestNewInvalid(t *testing.T) {
	tests := []struct {
		name    string
		spec    Spec
		targets []Target
		want    string
	}{
		{"no targets", Spec{PrometheusURL: "http://prom:9090"}, nil, "no service to analyse"},
		{"target without namespace", Spec{PrometheusURL: "http://prom:9090"}, []Target{{Service: "api"}}, "service and canary namespace are required"},
		{"comparison of identical sides", Spec{PrometheusURL: "http://prom:9090", CompareStable: &StableComparison{}},
			[]Target{{Service: "api", Canary: Side{Namespace: "shop"}}}, "cannot be compared"},
		{"bad settings", Spec{FailureLimit: -1}, nil, "canary.analysis.failureLimit (input failure-limit): -1: need at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.spec, tt.targets, Options{})
			if outcome.KindOf(err) != outcome.KindInvalid || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New() = %v, want an invalid outcome containing %q", err, tt.want)
			}
		})
	}
}

func TestReportJSON(t *testing.T) {
	prom := newFakeProm(t)
	prom.set("v2", 5, math.NaN(), math.NaN()) // no data: NaN must not break encoding/json
	a := newTestAnalyzer(t, prom, Spec{CompareStable: &StableComparison{}}, Options{})
	_ = a.Check(t.Context(), 5)
	b, err := json.Marshal(a.Report())
	if err != nil {
		t.Fatalf("json.Marshal(Report()) = %v", err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("json.Unmarshal = %v", err)
	}
	if got := len(back.Steps[0].Measurements); got != 3 {
		t.Errorf("measurements after a JSON round trip = %d, want 3", got)
	}
	if back.Settings.Interval.Duration != DefaultInterval {
		t.Errorf("settings interval after a JSON round trip = %v, want %v", back.Settings.Interval.Duration, DefaultInterval)
	}
}
