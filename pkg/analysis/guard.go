package analysis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// ErrGuardTripped is wrapped, beside ErrAnalysisFailed and
// outcome.Negative, by the error Guard returns when it saw a hard failure.
var ErrGuardTripped = errors.New("analysis guard tripped")

// GuardTrip records what made the guard fail a canary, for the report and
// the step summary.
type GuardTrip struct {
	Time    time.Time `json:"time"`
	Service string    `json:"service"`
	// Metric is success-rate or p99-latency; Value is the canary's over the
	// window, Threshold what it had to meet, in words.
	Metric    string   `json:"metric"`
	Value     float64  `json:"value"`
	Threshold string   `json:"threshold"`
	Requests  float64  `json:"requests"`
	Window    Duration `json:"window"`
}

// String says what the guard saw:
//
//	cart: success-rate 0.00% (below 50%) over the last 2s, 80 requests
func (g GuardTrip) String() string {
	unit := "%"
	if g.Metric == MetricP99Latency {
		unit = "ms"
	}
	return fmt.Sprintf("%s: %s %s (%s) over the last %v, %s requests",
		g.Service, g.Metric, formatValue(g.Value, unit), g.Threshold, g.Window.Duration, formatValue(g.Requests, "req"))
}

// guardReadings are one target's numbers over the guard's window; NaN is
// no data.
type guardReadings struct {
	Requests, SuccessRate, P99 float64
}

// guardLimits are the guard's thresholds resolved from a spec: a check
// whose limit is NaN is off.
type guardLimits struct {
	minRequests float64
	minSuccess  float64 // percent
	maxP99      float64 // ms
}

func guardLimitsOf(s Spec) guardLimits {
	g := s.Guard
	l := guardLimits{minRequests: float64(*g.MinRequests), minSuccess: math.NaN(), maxP99: math.NaN()}
	if *g.SuccessRate > 0 {
		l.minSuccess = *g.SuccessRate
	}
	if *g.P99Factor > 0 && s.MaxP99Ms != nil && *s.MaxP99Ms > 0 {
		l.maxP99 = *g.P99Factor * *s.MaxP99Ms
	}
	return l
}

// judgeGuard says whether one target's readings over the guard's window
// are a hard failure: at least the minimum of requests, and a success rate
// below its floor or a p99 above its ceiling. It returns the metric, the
// value and the threshold in words, or tripped false. No data is never a
// failure: the interval analysis judges a lack of traffic.
func judgeGuard(r guardReadings, l guardLimits) (metric string, v float64, threshold string, tripped bool) {
	if math.IsNaN(r.Requests) || r.Requests < l.minRequests || r.Requests == 0 {
		return "", 0, "", false
	}
	if !math.IsNaN(l.minSuccess) && !math.IsNaN(r.SuccessRate) && r.SuccessRate < l.minSuccess {
		return MetricSuccessRate, r.SuccessRate, "below " + formatValue(l.minSuccess, "") + "%", true
	}
	if !math.IsNaN(l.maxP99) && !math.IsNaN(r.P99) && r.P99 > l.maxP99 {
		return MetricP99Latency, r.P99, "above " + formatValue(l.maxP99, "ms"), true
	}
	return "", 0, "", false
}

// guardParallel bounds the targets the guard reads at once.
const guardParallel = 8

// Guard watches the canaries on every Prometheus scrape until ctx is done
// (it then returns nil) or it sees a hard failure on one of them (see
// config.Guard): it then records the trip — the step running, if any,
// fails with it — calls Options.OnGuard, and returns an error wrapping
// outcome.Negative, ErrAnalysisFailed and ErrGuardTripped. The caller
// runs it beside its schedule and rolls back the moment it returns an
// error, whatever the pause or the measurement in progress. Queries that
// fail are skipped: Prometheus outages are the interval analysis's to
// judge (OnError). Without metrics, or with the guard disabled, it waits
// for ctx.
func (a *Analyzer) Guard(ctx context.Context) error {
	if !a.spec.GuardEnabled() {
		<-ctx.Done()
		return nil
	}
	g := a.spec.Guard
	every := g.ScrapeInterval.Duration / 2
	limits := guardLimitsOf(a.spec)
	for {
		if err := a.opts.Wait(ctx, every); err != nil {
			return nil
		}
		trip, ok := a.guardRound(ctx, limits)
		if ctx.Err() != nil {
			return nil
		}
		if !ok {
			continue
		}
		a.mu.Lock()
		a.trip = &trip
		a.mu.Unlock()
		if a.opts.OnGuard != nil {
			a.opts.OnGuard(trip)
		}
		return outcome.Negative(fmt.Errorf("%w: %w: %s", ErrAnalysisFailed, ErrGuardTripped, trip))
	}
}

// guardRound reads every target once over the guard's window, a few at a
// time, and returns the first hard failure found, in target order.
func (a *Analyzer) guardRound(ctx context.Context, limits guardLimits) (GuardTrip, bool) {
	g := a.spec.Guard
	window := g.Window()
	rctx, cancel := context.WithTimeout(ctx, max(g.ScrapeInterval.Duration, time.Second))
	defer cancel()
	at := a.opts.Now()
	readings := make([]guardReadings, len(a.targets))
	var eg errgroup.Group
	eg.SetLimit(guardParallel)
	for i, t := range a.targets {
		eg.Go(func() error {
			readings[i] = a.readGuard(rctx, t, at, window, limits)
			return nil
		})
	}
	_ = eg.Wait()
	for i, r := range readings {
		if m, v, th, ok := judgeGuard(r, limits); ok {
			return GuardTrip{Time: at, Service: a.targets[i].Service, Metric: m, Value: v, Threshold: th,
				Requests: r.Requests, Window: Duration{Duration: window}}, true
		}
	}
	return GuardTrip{}, false
}

// readGuard reads one target's guard numbers; a failed query reads as no
// data, and the success rate and p99 are only read when there are enough
// requests for them to count.
func (a *Analyzer) readGuard(ctx context.Context, t Target, at time.Time, window time.Duration, l guardLimits) guardReadings {
	r := guardReadings{Requests: math.NaN(), SuccessRate: math.NaN(), P99: math.NaN()}
	d := templateData(t.Service, t.Canary, window)
	querier := a.querier(t.Canary)
	read := func(q func(TemplateData) string) float64 {
		v, err := querier.Query(ctx, q(d), at)
		if err != nil {
			return math.NaN()
		}
		return v
	}
	r.Requests = read(requestsQuery)
	if math.IsNaN(r.Requests) || r.Requests == 0 || r.Requests < l.minRequests {
		return r
	}
	if !math.IsNaN(l.minSuccess) {
		r.SuccessRate = read(successRateQuery)
	}
	if !math.IsNaN(l.maxP99) {
		r.P99 = read(p99Query)
	}
	return r
}
