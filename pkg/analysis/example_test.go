package analysis_test

import (
	"fmt"

	"github.com/aviary-cd/aviary/pkg/analysis"
)

// A canary exactly as noisy as stable misses the absolute 99% threshold but
// passes when compared with stable over the same window.
func ExampleEvaluate() {
	api := analysis.Target{
		Service: "api",
		Canary:  analysis.Side{Namespace: "shop", Version: "1.5.0"},
		Stable:  analysis.Side{Namespace: "shop", Version: "1.4.0"},
	}
	round := []analysis.Readings{{
		Target:         api,
		Requests:       480,
		StableRequests: 4100,
		Metrics: []analysis.Reading{
			{Metric: analysis.MetricSuccessRate, Canary: 95.1, Stable: 95.4},
			{Metric: analysis.MetricP99Latency, Canary: 130, Stable: 120},
		},
	}}
	for _, spec := range []analysis.Spec{
		{},
		{CompareStable: &analysis.StableComparison{}},
	} {
		v := analysis.Evaluate(round, spec.WithDefaults())
		fmt.Printf("%s: %s\n", v.Status, v.Reason)
	}
	// Output:
	// fail: api success-rate: 95.10% < 99.00%
	// pass: api success-rate: 95.10% < 99.00% but within tolerance of stable 95.40%, limit 94.40%
}

// Decide turns a step's measurements into its answer: here the failure
// limit of 2 is reached by the third measurement.
func ExampleDecide() {
	spec := analysis.Spec{Measurements: 5, FailureLimit: 2}.WithDefaults()
	statuses := []analysis.Status{analysis.StatusFail, analysis.StatusPass, analysis.StatusFail}
	d := analysis.Decide(statuses, spec)
	fmt.Println(d.Done, d.Status, d.Reason)
	// Output:
	// true fail 2 failed measurements reached the failure limit of 2
}
