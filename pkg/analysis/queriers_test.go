package analysis

import (
	"strings"
	"testing"
)

// TestAnalyzerReadsEachSideFromItsPrometheus: with a Prometheus per
// cluster, the canary side is read from the one it names and the stable
// side of the comparison from the spec's; the guard reads the canary's.
func TestAnalyzerReadsEachSideFromItsPrometheus(t *testing.T) {
	home, canaryProm := newFakeProm(t), newFakeProm(t)
	// Each Prometheus holds its own cluster's series only: the canary
	// cluster's canary fails, the home cluster's stable is healthy.
	canaryProm.set("v2", 600, 95, 80)
	home.set("v1", 600, 99.9, 80)
	target := Target{
		Service: "api",
		Canary:  Side{Namespace: "shop", Version: "v2", Cluster: "canary", Prometheus: "canary-cluster"},
		Stable:  Side{Namespace: "shop", Version: "v1", Cluster: "home"},
	}
	spec := Spec{PrometheusURL: home.URL, Measurements: 1, FailureLimit: 1, CompareStable: &StableComparison{}}
	a, err := New(spec, []Target{target}, Options{Querier: home, Queriers: map[string]Querier{"canary-cluster": canaryProm}, Wait: instant})
	if err != nil {
		t.Fatal(err)
	}
	err = a.Check(t.Context(), 10)
	if err == nil || !strings.Contains(err.Error(), "success-rate") {
		t.Fatalf("Check() = %v, want the canary cluster's success rate to fail it", err)
	}
	rep := a.Report()
	var success *Result
	for _, r := range rep.Steps[0].Measurements[0].Results {
		if r.Metric == MetricSuccessRate {
			success = &r
		}
	}
	if success == nil || success.Canary == nil || *success.Canary != 95 || success.Stable == nil || *success.Stable != 99.9 {
		t.Errorf("success-rate result = %+v, want the canary's 95 from its cluster's Prometheus and stable's 99.9 from the home one", success)
	}
	for _, q := range canaryProm.seen() {
		if !strings.Contains(q, `destination_cluster="canary"`) {
			t.Errorf("the canary cluster's Prometheus was asked %s, a query of another side", q)
		}
	}
	for _, q := range home.seen() {
		if !strings.Contains(q, `destination_cluster="home"`) {
			t.Errorf("the home Prometheus was asked %s, a query of another side", q)
		}
	}
	before := len(canaryProm.seen())
	a.readGuard(t.Context(), target, a.opts.Now(), a.spec.Guard.Window(), guardLimitsOf(a.spec))
	if len(canaryProm.seen()) == before {
		t.Errorf("the guard did not read the canary cluster's Prometheus")
	}
}

// TestNewNeedsEachSidesPrometheus: a side naming a Prometheus the options
// lack is refused before anything is measured; the stable side only needs
// one when it is compared.
func TestNewNeedsEachSidesPrometheus(t *testing.T) {
	prom := newFakeProm(t)
	target := Target{Service: "api", Canary: Side{Namespace: "shop", Version: "v2", Prometheus: "canary-cluster"}, Stable: Side{Namespace: "shop", Version: "v1", Prometheus: "stable-cluster"}}
	spec := Spec{PrometheusURL: prom.URL}
	if _, err := New(spec, []Target{target}, Options{Querier: prom}); err == nil || !strings.Contains(err.Error(), `canary side reads Prometheus "canary-cluster"`) {
		t.Errorf("New() without the canary's Prometheus = %v, want an error naming it", err)
	}
	opts := Options{Queriers: map[string]Querier{"canary-cluster": prom}}
	if _, err := New(spec, []Target{target}, opts); err != nil {
		t.Errorf("New() with the canary's Prometheus, no comparison = %v, want nil", err)
	}
	spec.CompareStable = &StableComparison{}
	if _, err := New(spec, []Target{target}, opts); err == nil || !strings.Contains(err.Error(), `stable side reads Prometheus "stable-cluster"`) {
		t.Errorf("New() comparing without stable's Prometheus = %v, want an error naming it", err)
	}
}
