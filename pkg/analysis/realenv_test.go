package analysis_test

import (
	"context"
	"errors"
	"math"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/analysis"
	"github.com/aviary-cd/aviary/pkg/analysis/prom"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

// mesh is a fake traffic router in front of the synthetic Istio telemetry:
// setting a weight splits a service's total request rate between its
// stable (v1) and canary (v2) series, as an Istio VirtualService would.
type mesh struct {
	tel            *devenv.Telemetry
	total          float64
	stable, canary devenv.Series

	mu      sync.Mutex
	weight  int
	history []int
}

func newMesh(t testing.TB, tel *devenv.Telemetry, service string, total float64) *mesh {
	m := &mesh{
		tel:    tel,
		total:  total,
		stable: devenv.Series{Service: service, Namespace: "shop", Version: "v1", LatencyP99ms: 100},
		canary: devenv.Series{Service: service, Namespace: "shop", Version: "v2", LatencyP99ms: 100},
	}
	m.set(0)
	return m
}

func (m *mesh) target() analysis.Target {
	return analysis.Target{
		Service: m.canary.Service,
		Canary:  analysis.Side{Namespace: "shop", Version: "v2"},
		Stable:  analysis.Side{Namespace: "shop", Version: "v1"},
	}
}

func (m *mesh) set(weight int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.weight = weight
	m.history = append(m.history, weight)
	m.apply()
}

// change alters the canary's (or stable's) behaviour from now on.
func (m *mesh) change(canary, stable func(*devenv.Series)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if canary != nil {
		canary(&m.canary)
	}
	if stable != nil {
		stable(&m.stable)
	}
	m.apply()
}

// apply sends the series to the telemetry source; m.mu is held.
func (m *mesh) apply() {
	m.canary.RPS = m.total * float64(m.weight) / 100
	m.stable.RPS = m.total - m.canary.RPS
	for _, s := range []devenv.Series{m.stable, m.canary} {
		if err := m.tel.Set(s); err != nil {
			panic(err) // the series are well formed
		}
	}
}

// walk is what shift-weight does with the analyzer as its gate.
func (m *mesh) walk(ctx context.Context, a *analysis.Analyzer, weights ...int) error {
	for _, w := range weights {
		m.set(w)
		if err := a.Check(ctx, w); err != nil {
			m.set(0)
			return err
		}
	}
	return nil
}

// startMetrics starts the telemetry source and a real Prometheus scraping
// it every second, and waits for the first rate.
func startMetrics(t testing.TB) (*devenv.Telemetry, *devenv.Prometheus) {
	t.Helper()
	tel := devenv.StartTelemetry(t, devenv.Series{Service: "warmup", Namespace: "shop", RPS: 10})
	server := devenv.StartPrometheus(t, tel.Target)
	deadline := time.Now().Add(time.Minute)
	for {
		v, err := server.Query(context.Background(), `sum(rate(istio_requests_total{destination_service_name="warmup"}[3s]))`)
		if err == nil && v > 0 {
			return tel, server
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus reports no rate after a minute: %v, %v", v, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func client(t testing.TB, url string) *prom.Client {
	c, err := prom.New(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func statusesOf(r analysis.Report) [][]analysis.Status {
	var all [][]analysis.Status
	for _, s := range r.Steps {
		var st []analysis.Status
		for _, m := range s.Measurements {
			st = append(st, m.Status)
		}
		all = append(all, st)
	}
	return all
}

func lastValue(r analysis.Report, metric string) float64 {
	v := math.NaN()
	for _, s := range r.Steps {
		for _, m := range s.Measurements {
			for _, res := range m.Results {
				if res.Metric == metric && res.Canary != nil {
					v = *res.Canary
				}
			}
		}
	}
	return v
}

// TestRealPrometheus runs the analyzer against a real Prometheus scraping
// synthetic Istio telemetry: one service per scenario, all in parallel.
func TestRealPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus")
	}
	tel, server := startMetrics(t)
	base := analysis.Spec{
		PrometheusURL: server.URL,
		Interval:      analysis.Duration{Duration: 3 * time.Second},
		Measurements:  2,
		FailureLimit:  2,
	}
	newAnalyzer := func(t *testing.T, spec analysis.Spec, m *mesh) *analysis.Analyzer {
		var lines []string
		a, err := analysis.New(spec, []analysis.Target{m.target()}, analysis.Options{
			Querier:       client(t, spec.PrometheusURL),
			OnMeasurement: func(ms analysis.Measurement) { lines = append(lines, ms.Line()) },
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { t.Logf("measurements:\n%s", strings.Join(lines, "\n")) })
		return a
	}
	failed := func(t *testing.T, err error, m *mesh) {
		t.Helper()
		if !errors.Is(err, analysis.ErrAnalysisFailed) || outcome.KindOf(err) != outcome.KindNegative {
			t.Fatalf("walk() = %v, want a negative outcome wrapping ErrAnalysisFailed", err)
		}
		if m.weight != 0 {
			t.Errorf("weight after the failure = %d, want 0", m.weight)
		}
	}

	t.Run("healthy canary walks to 50%", func(t *testing.T) {
		t.Parallel()
		m := newMesh(t, tel, "healthy", 400)
		a := newAnalyzer(t, base, m)
		if err := m.walk(t.Context(), a, 5, 10, 25, 50); err != nil {
			t.Fatalf("walk() = %v, want nil", err)
		}
		if m.weight != 50 {
			t.Errorf("weight = %d, want 50", m.weight)
		}
		want := [][]analysis.Status{{"pass", "pass"}, {"pass", "pass"}, {"pass", "pass"}, {"pass", "pass"}}
		if got := statusesOf(a.Report()); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("measurements = %v, want %v", got, want)
		}
		if p99 := lastValue(a.Report(), analysis.MetricP99Latency); !(p99 > 50 && p99 < 101) {
			t.Errorf("p99 = %v ms, want about 100 ms: the real p99 is the upper bound of the (50, 100] bucket", p99)
		}
	})

	t.Run("5% errors fail and roll back", func(t *testing.T) {
		t.Parallel()
		m := newMesh(t, tel, "errors", 400)
		m.change(func(s *devenv.Series) { s.ErrorRatio = 0.05 }, nil)
		a := newAnalyzer(t, base, m)
		err := m.walk(t.Context(), a, 10, 25)
		failed(t, err, m)
		if got := slices.Clone(m.history); !slices.Equal(got, []int{0, 10, 0}) {
			t.Errorf("weights = %v, want [0 10 0]", got)
		}
		if sr := lastValue(a.Report(), analysis.MetricSuccessRate); math.Abs(sr-95) > 0.5 {
			t.Errorf("success rate = %v%%, want 95%% ± 0.5", sr)
		}
	})

	t.Run("latency regression is caught", func(t *testing.T) {
		t.Parallel()
		m := newMesh(t, tel, "slow", 400)
		m.change(func(s *devenv.Series) { s.LatencyP99ms = 900 }, nil)
		a := newAnalyzer(t, base, m)
		err := m.walk(t.Context(), a, 10, 25)
		failed(t, err, m)
		if !strings.Contains(err.Error(), "p99-latency") {
			t.Errorf("walk() = %v, want it to name p99-latency", err)
		}
	})

	t.Run("no traffic is inconclusive, not a pass", func(t *testing.T) {
		t.Parallel()
		m := newMesh(t, tel, "idle", 0)
		a := newAnalyzer(t, base, m)
		err := m.walk(t.Context(), a, 10, 25)
		failed(t, err, m)
		want := [][]analysis.Status{{"inconclusive", "inconclusive"}}
		if got := statusesOf(a.Report()); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("measurements = %v, want %v", got, want)
		}
	})

	t.Run("as noisy as stable passes the comparison, fails the threshold", func(t *testing.T) {
		t.Parallel()
		noisy := func(s *devenv.Series) { s.ErrorRatio = 0.05 }
		m := newMesh(t, tel, "noisy", 400)
		m.change(noisy, noisy)
		compare := base
		compare.CompareStable = &analysis.StableComparison{}
		withBaseline := newAnalyzer(t, compare, m)
		absolute := newAnalyzer(t, base, m)
		m.set(25)
		// Both analyzers measure the same traffic at the same time.
		var wg sync.WaitGroup
		var errBaseline, errAbsolute error
		wg.Go(func() { errBaseline = withBaseline.Check(t.Context(), 25) })
		wg.Go(func() { errAbsolute = absolute.Check(t.Context(), 25) })
		wg.Wait()
		if errBaseline != nil {
			t.Errorf("Check() compared with stable = %v, want nil", errBaseline)
		}
		if !errors.Is(errAbsolute, analysis.ErrAnalysisFailed) {
			t.Errorf("Check() with the absolute threshold only = %v, want ErrAnalysisFailed", errAbsolute)
		}
	})

	// The guard reads every scrape over the last two: a crash or a hang
	// trips it, 5% errors do not (those are the measurements' to judge).
	guarded := base
	guarded.Interval = analysis.Duration{Duration: time.Minute} // no measurement is taken here
	guarded.Guard = &analysis.GuardSpec{ScrapeInterval: analysis.Duration{Duration: server.ScrapeInterval}}
	for _, tt := range []struct {
		name   string
		change func(*devenv.Series)
		metric string // "": must not trip
	}{
		{"guard trips on a crash", func(s *devenv.Series) { s.ErrorRatio = 1 }, analysis.MetricSuccessRate},
		{"guard trips on a hang", func(s *devenv.Series) { s.LatencyP99ms = 8000 }, analysis.MetricP99Latency},
		{"guard lets 5% errors through", func(s *devenv.Series) { s.ErrorRatio = 0.05 }, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := newMesh(t, tel, strings.ReplaceAll(tt.name, " ", "-"), 400)
			a := newAnalyzer(t, guarded, m)
			m.set(10)
			m.change(tt.change, nil)
			// Long enough for a window made only of the new traffic, and
			// several reads of it.
			ctx, cancel := context.WithTimeout(t.Context(), 8*time.Second)
			defer cancel()
			err := a.Guard(ctx)
			if tt.metric == "" {
				if err != nil {
					t.Fatalf("Guard() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, analysis.ErrGuardTripped) || outcome.KindOf(err) != outcome.KindNegative {
				t.Fatalf("Guard() = %v, want a negative outcome wrapping ErrGuardTripped", err)
			}
			if r := a.Report(); r.Guard == nil || r.Guard.Metric != tt.metric {
				t.Errorf("Report().Guard = %+v, want a trip on %s", r.Guard, tt.metric)
			}
		})
	}

	t.Run("prometheus unreachable fails safe", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		gone := "http://" + ln.Addr().String()
		ln.Close()
		m := newMesh(t, tel, "unreachable", 400)
		spec := base
		spec.PrometheusURL = gone
		a := newAnalyzer(t, spec, m)
		err = m.walk(t.Context(), a, 10)
		failed(t, err, m)
		want := [][]analysis.Status{{"error", "error"}}
		if got := statusesOf(a.Report()); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("measurements = %v, want %v", got, want)
		}
	})
}
