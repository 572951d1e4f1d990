package analysis

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

func TestJudgeGuard(t *testing.T) {
	limits := guardLimitsOf(Spec{}.WithDefaults()) // ≥ 10 requests; < 50%; > 5000 ms
	tests := []struct {
		name   string
		r      guardReadings
		metric string // "" : not tripped
	}{
		{"healthy", guardReadings{80, 99.9, 90}, ""},
		{"success collapses", guardReadings{80, 20, 90}, MetricSuccessRate},
		{"only 5xx", guardReadings{80, 0, 90}, MetricSuccessRate},
		{"at the floor is no trip", guardReadings{80, 50, 90}, ""},
		{"too few requests to judge", guardReadings{9, 0, 90}, ""},
		{"no traffic", guardReadings{0, nan, nan}, ""},
		{"no data", guardReadings{nan, nan, nan}, ""},
		{"p99 ten times the threshold", guardReadings{80, 99, 5001}, MetricP99Latency},
		{"p99 merely over the threshold is the interval analysis's", guardReadings{80, 99, 900}, ""},
		{"success rate first", guardReadings{80, 10, 9000}, MetricSuccessRate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, _, tripped := judgeGuard(tt.r, limits)
			if m != tt.metric || tripped != (tt.metric != "") {
				t.Errorf("judgeGuard(%+v) = %q, %v; want %q", tt.r, m, tripped, tt.metric)
			}
		})
	}
}

func TestGuardLimitsOff(t *testing.T) {
	zero, off := 0.0, 0.0
	spec := Spec{MaxP99Ms: &zero, Guard: &GuardSpec{SuccessRate: &off}}.WithDefaults()
	l := guardLimitsOf(spec)
	if _, _, _, tripped := judgeGuard(guardReadings{100, 0, 1e9}, l); tripped {
		t.Errorf("judgeGuard with both checks off tripped")
	}
}

// guardClock is a fake clock for the guard: each wait moves time on and
// calls round with the number of waits so far.
type guardClock struct {
	mu    sync.Mutex
	t     time.Time
	n     int
	round func(n int)
}

func (c *guardClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *guardClock) wait(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.n++
	n := c.n
	c.mu.Unlock()
	if c.round != nil {
		c.round(n)
	}
	return ctx.Err()
}

// TestGuardTrips: the guard reads every half scrape interval and returns,
// the first time the canary's success rate is below the floor with
// enough requests, a negative outcome naming what it saw; the report and
// its Markdown say so.
func TestGuardTrips(t *testing.T) {
	prom := newFakeProm(t)
	prom.set("v2", 80, 99.9, 90)
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clock := &guardClock{t: start}
	clock.round = func(n int) {
		if n == 4 { // the fourth read sees the canary fail
			prom.set("v2", 80, 12.5, 90)
		}
	}
	var seen []GuardTrip
	spec := Spec{Guard: &GuardSpec{ScrapeInterval: Duration{Duration: time.Second}}}
	a := newTestAnalyzer(t, prom, spec, Options{Now: clock.now, Wait: clock.wait, OnGuard: func(g GuardTrip) { seen = append(seen, g) }})
	err := a.Guard(t.Context())
	if !errors.Is(err, ErrGuardTripped) || !errors.Is(err, ErrAnalysisFailed) || outcome.KindOf(err) != outcome.KindNegative {
		t.Fatalf("Guard() = %v, want a negative outcome wrapping ErrGuardTripped and ErrAnalysisFailed", err)
	}
	const want = "api: success-rate 12.50% (below 50%) over the last 2s, 80 requests"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("Guard() = %q, want it to say %q", err, want)
	}
	if len(seen) != 1 || seen[0].Time != start.Add(2*time.Second) {
		t.Errorf("OnGuard calls = %+v, want one at the fourth read, %v", seen, start.Add(2*time.Second))
	}
	r := a.Report()
	if r.Guard == nil || r.Guard.Metric != MetricSuccessRate || r.Status != StatusFail {
		t.Errorf("Report() guard %+v, status %s; want the trip on success-rate and status fail", r.Guard, r.Status)
	}
	if r.Settings.Guard == nil || r.Settings.Guard.Window.Duration != 2*time.Second || r.Settings.Guard.Every.Duration != 500*time.Millisecond {
		t.Errorf("Report().Settings.Guard = %+v, want every 500ms over 2s", r.Settings.Guard)
	}
	md := a.Markdown()
	for _, want := range []string{"**The guard fired** at 12:00:02.000 on " + want, "Guard: every 500ms over the last 2s"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown() lacks %q:\n%s", want, md)
		}
	}
	for _, q := range prom.seen() {
		if strings.Contains(q, "[30s]") {
			t.Errorf("guard query %q looks back over the interval, want the 2s window", q)
		}
	}
}

// TestGuardQuietUntilCancelled: a healthy canary, too little traffic, or
// a Prometheus that fails never trips the guard; it returns nil once ctx
// is done.
func TestGuardQuietUntilCancelled(t *testing.T) {
	for _, tt := range []struct {
		name                   string
		requests, success, p99 float64
		err                    error
	}{
		{"healthy", 80, 99.9, 90, nil},
		{"a trickle of errors", 5, 0, 90, nil},
		{"prometheus down", 0, 0, 0, errEx},
	} {
		t.Run(tt.name, func(t *testing.T) {
			prom := newFakeProm(t)
			prom.set("v2", tt.requests, tt.success, tt.p99)
			prom.fail(tt.err)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			clock := &guardClock{round: func(n int) {
				if n == 20 {
					cancel()
				}
			}}
			a := newTestAnalyzer(t, prom, Spec{}, Options{Now: clock.now, Wait: clock.wait})
			if err := a.Guard(ctx); err != nil {
				t.Fatalf("Guard() = %v, want nil", err)
			}
			if r := a.Report(); r.Guard != nil {
				t.Errorf("Report().Guard = %+v, want nil", r.Guard)
			}
		})
	}
}

// TestGuardFailsTheStepInProgress: when the guard cancels a Check it runs
// beside, the step is recorded as failed on the guard's word, not as
// interrupted.
func TestGuardFailsTheStepInProgress(t *testing.T) {
	prom := newFakeProm(t)
	prom.set("v2", 80, 0, 90)
	// The step's own measurements would take long to fail it: the guard
	// must end it first.
	spec := Spec{Measurements: 1000, FailureLimit: 1000, Guard: &GuardSpec{ScrapeInterval: Duration{Duration: time.Second}}}
	fast := func(ctx context.Context, d time.Duration) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(d, 5*time.Millisecond)):
			return nil
		}
	}
	a := newTestAnalyzer(t, prom, spec, Options{Wait: fast})
	ctx, cancel := context.WithCancelCause(t.Context())
	check := make(chan error, 1)
	go func() { check <- a.Check(ctx, 10) }()
	gerr := a.Guard(ctx)
	cancel(gerr)
	if err := <-check; !errors.Is(err, context.Canceled) {
		t.Fatalf("Check() = %v, want it cancelled", err)
	}
	r := a.Report()
	if len(r.Steps) != 1 || r.Steps[0].Status != StatusFail || !strings.HasPrefix(r.Steps[0].Reason, "guard: api: success-rate 0.00%") {
		t.Errorf("step report = %+v, want one step failed by the guard", r.Steps)
	}
}
