package analysis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/aviary-cd/aviary/pkg/clock"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/stall"
)

// ErrAnalysisFailed is wrapped by the error Check returns when the metrics
// failed a step (the error is also outcome.Negative).
var ErrAnalysisFailed = errors.New("canary analysis failed")

// Options are the parts of an Analyzer that are not settings. The zero value
// is ready to use.
type Options struct {
	// Querier reads metrics from the Prometheus at the spec's
	// PrometheusURL (see package analysis/prom); required when that is set
	// and a side reads it (Side.Prometheus empty).
	Querier Querier
	// Queriers are the other Prometheus servers, by the names sides give
	// in Side.Prometheus: with a Prometheus per cluster, each side is read
	// where its cluster's metrics are.
	Queriers map[string]Querier
	// HTTPClient calls webhooks; nil uses a client whose transport is
	// stall.Transport(stall.DefaultTimeout). Each call is bounded by its
	// webhook's timeout.
	HTTPClient *http.Client
	// Phase is what Check gates: PhaseStep (the default), PhasePromotion
	// or PhaseSwitch.
	Phase Phase
	// OnMeasurement, if set, is called after every measurement, from the
	// goroutine running Check; for progress lines.
	OnMeasurement func(Measurement)
	// OnWebhook, if set, is called after every webhook call.
	OnWebhook func(WebhookResult)
	// OnGuard, if set, is called when the guard trips, from the goroutine
	// running Guard.
	OnGuard func(GuardTrip)
	// Now and Wait stand in for the clock in tests: Wait sleeps for d or
	// until ctx is done. Nil uses the real clock.
	Now  func() time.Time
	Wait func(ctx context.Context, d time.Duration) error
}

// Analyzer gates a canary's traffic steps on metrics and webhooks, and
// records every measurement for the report. Its Check method satisfies the
// canary package's Gate interface. Report and Markdown may be called while
// Check runs.
type Analyzer struct {
	spec    Spec
	targets []Target
	opts    Options
	checks  []check

	mu    sync.Mutex
	steps []StepReport
	trip  *GuardTrip // set once the guard tripped
}

// New returns an analyzer for the targets. spec is completed with
// WithDefaults and validated; bad settings are outcome.Invalid.
func New(spec Spec, targets []Target, opts Options) (*Analyzer, error) {
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	a := &Analyzer{spec: spec, opts: opts, checks: checksOf(spec)}
	if a.opts.Phase == "" {
		a.opts.Phase = PhaseStep
	}
	if a.opts.HTTPClient == nil {
		a.opts.HTTPClient = &http.Client{Transport: stall.Transport(stall.DefaultTimeout)}
	}
	if a.opts.Now == nil {
		a.opts.Now = time.Now
	}
	if a.opts.Wait == nil {
		a.opts.Wait = clock.Sleep
	}
	compare := slices.ContainsFunc(a.checks, func(c check) bool { return c.tol != nil })
	for i, t := range targets {
		if t.Service == "" || t.Canary.Namespace == "" {
			return nil, outcome.Invalidf("analysis target %d: service and canary namespace are required", i)
		}
		if t.Stable.Namespace == "" {
			t.Stable.Namespace = t.Canary.Namespace
		}
		if compare && t.Stable == t.Canary {
			return nil, outcome.Invalidf("analysis target %q: canary and stable have the same namespace, version and workload, so they cannot be compared", t.Service)
		}
		a.targets = append(a.targets, t)
	}
	if a.Enabled() && len(a.targets) == 0 {
		return nil, outcome.Invalidf("analysis: no service to analyse")
	}
	if spec.MetricsEnabled() {
		for _, t := range a.targets {
			if err := a.hasQuerier(t.Service, "canary", t.Canary); err != nil {
				return nil, err
			}
			if compare {
				if err := a.hasQuerier(t.Service, "stable", t.Stable); err != nil {
					return nil, err
				}
			}
		}
	}
	return a, nil
}

// querier is what reads side's metrics: the Prometheus it names, else the
// spec's.
func (a *Analyzer) querier(side Side) Querier {
	if side.Prometheus != "" {
		return a.opts.Queriers[side.Prometheus]
	}
	return a.opts.Querier
}

func (a *Analyzer) hasQuerier(service, which string, side Side) error {
	if a.querier(side) != nil {
		return nil
	}
	if side.Prometheus != "" {
		return fmt.Errorf("analysis of %s: its %s side reads Prometheus %q, which Options.Queriers lacks", service, which, side.Prometheus)
	}
	return fmt.Errorf("analysis of %s: a Prometheus URL is set but Options.Querier is nil", service)
}

// Spec returns the settings in force, defaults filled in.
func (a *Analyzer) Spec() Spec { return a.spec }

// Enabled reports whether Check gates anything: metrics (a Prometheus URL is
// set) or a webhook for the analyzer's phase.
func (a *Analyzer) Enabled() bool {
	return a.spec.MetricsEnabled() || len(a.webhooks()) > 0
}

func (a *Analyzer) webhooks() []Webhook {
	var ws []Webhook
	for _, w := range a.spec.Webhooks {
		if slices.Contains(w.Phases, a.opts.Phase) {
			ws = append(ws, w)
		}
	}
	return ws
}

// Check analyses the canary at weight: it takes the step's measurements,
// one per interval, until Decide has an answer, then calls the phase's
// webhooks. It returns nil when the step passed. A failed analysis or a
// refusing webhook returns an error wrapping outcome.Negative (and
// ErrAnalysisFailed or ErrWebhookRefused): the caller rolls back. A
// cancelled ctx returns ctx's error.
func (a *Analyzer) Check(ctx context.Context, weight int) error {
	n := a.beginStep(weight)
	if !a.Enabled() {
		a.endStep(n, StatusPass, "analysis not configured")
		return nil
	}
	if a.spec.MetricsEnabled() {
		d, last, err := a.measureStep(ctx, n, weight)
		if err != nil {
			if trip := a.tripped(); trip != nil {
				// The guard cancelled the step: it failed on the guard's word.
				a.endStep(n, StatusFail, "guard: "+trip.String())
				return err
			}
			a.endStep(n, StatusError, err.Error())
			return err
		}
		if d.Status == StatusFail {
			reason := d.Reason
			if last.Reason != "" {
				reason += "; last measurement: " + last.Reason
			}
			a.endStep(n, StatusFail, reason)
			return outcome.Negative(fmt.Errorf("%w at weight %d%%: %s", ErrAnalysisFailed, weight, reason))
		}
	}
	if err := a.callWebhooks(ctx, n, weight); err != nil {
		if ctx.Err() != nil {
			a.endStep(n, StatusError, err.Error())
			return err
		}
		a.endStep(n, StatusFail, err.Error())
		return outcome.Negative(fmt.Errorf("gate at weight %d%%: %w", weight, err))
	}
	a.endStep(n, StatusPass, "")
	return nil
}

// tripped returns the guard's trip, nil while it has not tripped.
func (a *Analyzer) tripped() *GuardTrip {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.trip
}

// measureStep takes measurements at their due times until the step is
// decided.
func (a *Analyzer) measureStep(ctx context.Context, n, weight int) (Decision, Verdict, error) {
	interval := a.spec.Interval.Duration
	start := a.opts.Now()
	var statuses []Status
	var last Verdict
	for i := 1; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if err := a.opts.Wait(ctx, due.Sub(a.opts.Now())); err != nil {
			return Decision{}, last, err
		}
		at := a.opts.Now()
		round, err := a.measure(ctx, at)
		if err != nil {
			return Decision{}, last, err
		}
		last = Evaluate(round, a.spec)
		statuses = append(statuses, last.Status)
		d := Decide(statuses, a.spec)
		m := Measurement{Time: at, Step: n, Phase: a.opts.Phase, Weight: weight, Index: i, Of: a.spec.Measurements, Verdict: last, Decision: d}
		a.record(n, m)
		if a.opts.OnMeasurement != nil {
			a.opts.OnMeasurement(m)
		}
		if d.Done {
			return d, last, nil
		}
	}
}

// measure reads every target at time at, all over the same window. It
// gives up on a measurement after one interval, when the next one is due.
// Query failures are recorded in the readings; only ctx's cancellation is
// returned.
func (a *Analyzer) measure(ctx context.Context, at time.Time) ([]Readings, error) {
	mctx, cancel := context.WithTimeout(ctx, a.spec.Interval.Duration)
	defer cancel()
	round := make([]Readings, 0, len(a.targets))
	for _, t := range a.targets {
		round = append(round, a.read(mctx, t, at))
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return round, nil
}

func (a *Analyzer) read(ctx context.Context, t Target, at time.Time) Readings {
	rd := Readings{Target: t, Requests: math.NaN(), StableRequests: math.NaN()}
	interval := a.spec.Interval.Duration
	// Each side is read from its own Prometheus.
	type side struct {
		d TemplateData
		q Querier
	}
	canary := side{templateData(t.Service, t.Canary, interval), a.querier(t.Canary)}
	stable := side{templateData(t.Service, t.Stable, interval), a.querier(t.Stable)}
	query := func(render func(TemplateData) (string, error), s side) (float64, error) {
		text, err := render(s.d)
		if err != nil {
			return math.NaN(), err
		}
		return s.q.Query(ctx, text, at)
	}
	compare := false
	for _, c := range a.checks {
		compare = compare || c.tol != nil
	}
	var err error
	if *a.spec.MinRequests > 0 {
		if rd.Requests, err = query(plain(requestsQuery), canary); err != nil {
			rd.Err = err
			return rd
		}
		if compare {
			if rd.StableRequests, err = query(plain(requestsQuery), stable); err != nil {
				rd.Err = err
				return rd
			}
		}
	}
	for _, c := range a.checks {
		r := Reading{Metric: c.name, Canary: math.NaN(), Stable: math.NaN()}
		if r.Canary, err = query(c.query, canary); err != nil {
			rd.Err = fmt.Errorf("%s: %w", c.name, err)
			return rd
		}
		if c.tol != nil {
			if r.Stable, err = query(c.query, stable); err != nil {
				rd.Err = fmt.Errorf("%s of stable: %w", c.name, err)
				return rd
			}
		}
		rd.Metrics = append(rd.Metrics, r)
	}
	return rd
}

// Preflight runs every query once for every target, before any traffic
// moves, so that a typo in a custom query or an unreachable Prometheus is
// caught while nothing is at stake. A malformed query is outcome.Invalid;
// an unreachable Prometheus is outcome.External unless OnError is hold or
// ignore. It records nothing.
func (a *Analyzer) Preflight(ctx context.Context) error {
	if !a.spec.MetricsEnabled() {
		return nil
	}
	at := a.opts.Now()
	round, err := a.measure(ctx, at)
	if err != nil {
		return err
	}
	for _, rd := range round {
		switch {
		case rd.Err == nil:
		case errors.Is(rd.Err, ErrBadQuery):
			return outcome.Invalid(fmt.Errorf("analysis of %s: %w", rd.Target.Service, rd.Err))
		case a.spec.OnError == Fail:
			return outcome.External(fmt.Errorf("analysis of %s: %w", rd.Target.Service, rd.Err))
		}
	}
	return nil
}

func (a *Analyzer) callWebhooks(ctx context.Context, n, weight int) error {
	for _, w := range a.webhooks() {
		for _, t := range a.targets {
			body := WebhookRequest{
				Name: w.Name, Phase: a.opts.Phase, Service: t.Service,
				Namespace: t.Canary.Namespace, Version: t.Canary.Version, Cluster: t.Canary.Cluster,
				Weight: weight, Metadata: w.Metadata,
			}
			start := a.opts.Now()
			code, err := callWebhook(ctx, a.opts.HTTPClient, w, body)
			res := WebhookResult{
				Time: start, Name: w.Name, Service: t.Service, Phase: a.opts.Phase, Weight: weight,
				Status: StatusPass, Code: code, Duration: Duration{Duration: a.opts.Now().Sub(start).Round(time.Millisecond)},
			}
			if err != nil {
				res.Status, res.Reason = StatusFail, err.Error()
			}
			a.recordWebhook(n, res)
			if a.opts.OnWebhook != nil {
				a.opts.OnWebhook(res)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}
