package catalog

import "github.com/aviary-cd/aviary/pkg/step"

// AnalysisInputs are the step inputs that override the release config's
// canary.analysis settings, for the shift-weight, promote and
// rebuild-cluster steps. None has
// a default of its own: an input left empty keeps the config's value, and
// the config's default (see analysis.Spec.WithDefaults) applies when neither sets it.
var AnalysisInputs = []step.Input{
	{Name: "prometheus-url", Description: "Prometheus base URL for metric analysis; empty takes canary.analysis.prometheusURL from the release config. A topology target with a prometheusURL of its own (a Prometheus per cluster) is read there instead; with none of them only webhooks gate the traffic steps."},
	{Name: "analysis-interval", Description: "Time between measurements, and the window each looks back over (default 30s).", Type: step.Duration},
	{Name: "analysis-measurements", Description: "Measurements per traffic step, one per interval (default 3).", Type: step.Int},
	{Name: "failure-limit", Description: "Failed measurements, counted in total within a step, that fail the step and roll back (default 2).", Type: step.Int},
	{Name: "min-requests", Description: "Canary requests a measurement needs to be conclusive; fewer is inconclusive, never a pass (default 20; 0 turns it off).", Type: step.Int},
	{Name: "success-rate", Description: "Lowest acceptable share of non-5xx canary responses, in percent, e.g. 99.5 (default 99; 0 turns it off)."},
	{Name: "max-p99-ms", Description: "Highest acceptable 99th percentile canary latency, in milliseconds (default 500; 0 turns it off)."},
	{Name: "compare-stable", Description: "Compare with stable over the same window: a canary that misses a threshold passes if its success rate is at most 1 point below stable's and its p99 at most 1.2 times stable's.", Type: step.Bool},
	{Name: "inconclusive", Description: "What an inconclusive measurement does: hold (keep measuring; fail if the step ends held) or fail (count it as failed). Default hold."},
	{Name: "analysis-on-error", Description: "What a measurement that cannot query Prometheus does: fail (count it as failed), hold or ignore. Default fail."},
	{Name: "webhook", Description: "URL POSTed before each traffic increase, before promotion, and by rebuild-cluster before it switches; anything but a 2xx answer within 10s fails the gate: traffic goes back to stable, or is not switched.", Secret: true},
	{Name: "analysis-report", Description: "File to write the analysis report to, as JSON (every measurement, metric, threshold and verdict); empty writes none."},
}
