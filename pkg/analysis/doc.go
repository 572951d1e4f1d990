// Package analysis gates a canary's traffic steps on metrics read from
// Prometheus and on HTTP webhooks, and records every measurement for the
// step summary. It is the judge; moving traffic and rolling it back belong
// to the caller.
//
// # Metrics
//
// Built in, from Istio's standard telemetry as reported by the receiving
// proxy (reporter="destination"), filtered by destination_workload_namespace,
// destination_service_name (or destination_workload), destination_version
// and, for a side in another cluster of the mesh than the other side,
// destination_cluster (Side.Cluster):
//
//	success-rate  share of non-5xx responses, in percent  (istio_requests_total)
//	p99-latency   99th percentile latency, in ms          (istio_request_duration_milliseconds)
//
// plus custom PromQL queries written as Go text/template (see Metric), each
// with a minimum and/or maximum. Any metric may also be compared with the
// stable version measured at the same instant over the same window: a canary
// that misses its absolute threshold still passes when it is no worse than
// stable by more than a tolerance (success rate at most 1 point below
// stable's, p99 at most 1.2 times stable's, by default), so trouble the
// canary shares with stable does not fail it. Meeting the absolute threshold
// is always enough.
//
// # Measurements and steps
//
// A traffic step is analysed by Check. It takes up to Spec.Measurements
// measurements, one every Spec.Interval, the first one interval after Check
// starts; each looks back over one interval (rate(...[interval])). A
// measurement is judged by Evaluate:
//
//   - pass: every metric of every service within bounds;
//   - fail: any metric out of bounds;
//   - inconclusive: no data, or fewer than Spec.MinRequests canary requests
//     in the window. Too little traffic is never a pass;
//   - error: Prometheus could not be queried.
//
// Decide turns the measurements so far into the step's answer. Failed
// measurements are counted in total within the step (not only consecutive
// ones, so a flapping canary fails too), afresh at each step; the step fails
// as soon as FailureLimit is reached. Inconclusive measurements hold the
// step under Inconclusive: hold (a later pass resolves the hold; a step whose
// measurements run out while held fails) or count as failed under
// Inconclusive: fail. Prometheus errors fail safe: under OnError: fail (the
// default) they count as failed measurements, so an outage rolls back after
// FailureLimit measurements; hold treats them as inconclusive and ignore
// leaves them out. A step passes after all its measurements with at least
// one pass, fewer failures than the limit and no hold left open.
//
// After the metrics pass, the webhooks of the phase (PhaseStep before each
// traffic increase, PhasePromotion before promotion, PhaseSwitch before
// rebuild-cluster switches to the side it rebuilt) are POSTed a
// WebhookRequest; anything but a 2xx within the timeout fails the gate.
//
// A failed step makes Check return an error wrapping outcome.Negative and
// ErrAnalysisFailed or ErrWebhookRefused: the caller sends traffic back to
// stable and exits 1.
//
// # Guard
//
// Beside the measurements, Guard watches the canaries on every Prometheus
// scrape (twice per Spec.Guard.ScrapeInterval) over a short window (the
// last Spec.Guard.Scrapes scrapes) and returns at once, with an error
// wrapping ErrGuardTripped beside ErrAnalysisFailed and outcome.Negative,
// on a hard failure: with at least the guard's minimum of requests, a
// success rate below its floor (50%) or a p99 above its factor (10) times
// MaxP99Ms. The judgement is judgeGuard's, a plain function. The caller
// runs Guard beside its schedule and rolls back when it returns an error
// (canary.Shift does, for any GuardedGate); a Check it interrupts is
// recorded as failed by the guard, and the report carries the trip.
//
// # Settings
//
// Spec is the canary.analysis section of the release config; the steps'
// analysis inputs (catalog.AnalysisInputs) override it. docs/analysis.md is
// the user's guide.
//
// This package does no I/O of its own but webhook calls: metrics come
// through a Querier, which package analysis/prom implements over the
// Prometheus HTTP API, so that importers of the settings alone (the step
// catalog, the release config) do not link the client. The steps'
// stepgate package (steps/internal/stepgate) wires an Analyzer into the
// shift-weight, promote and rebuild-cluster steps.
package analysis
