package stepgate_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/analysis"
	"github.com/aviary-cd/aviary/pkg/analysis/prom"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/steps/internal/stepgate"
)

// meshGate stands in for the mesh in front of the synthetic telemetry:
// when the schedule reaches a weight (Check), the canary's series gets
// that share of the service's requests, as the VirtualService just
// written would give it. The analyzer judges; Guard is its own.
type meshGate struct {
	*analysis.Analyzer
	tel    *devenv.Telemetry
	total  float64
	mu     sync.Mutex
	canary devenv.Series
}

func (g *meshGate) Check(ctx context.Context, weight int) error {
	g.change(func(s *devenv.Series) { s.RPS = g.total * float64(weight) / 100 })
	return g.Analyzer.Check(ctx, weight)
}

func (g *meshGate) change(f func(*devenv.Series)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f(&g.canary)
	if err := g.tel.Set(g.canary); err != nil {
		panic(err) // the series is well formed
	}
}

// BenchmarkTimeToRollback measures, against a real API server and a real
// Prometheus scraping every second, the time from the moment a canary at
// 10% of 400 requests a second starts failing to the moment canary.Shift
// has written its route back to 0% (and its record) and returned:
//
//   - guard: the canary answers every request with 500; the analysis
//     interval is 30s, so the fast guard (scrape 1s, window 2s) decides.
//     Target: 3 s.
//   - interval: the canary answers 5% with 500, which the guard lets
//     through; interval 5s, failure limit 2. Target: interval × limit + 1 s
//     = 11 s.
//
// The errors start at a different phase of the scrape and measurement
// cycles in each run. Run it with -benchtime=10x (make bench does); it
// reports min-s, median-s and max-s and logs every run.
func BenchmarkTimeToRollback(b *testing.B) {
	f := canarytest.Start(b, "shop") // skips under -short
	tel := devenv.StartTelemetry(b)
	server := devenv.StartPrometheus(b, tel.Target)
	cart := []canarytest.Service{{Name: "cart"}}
	f.Deploy(b, f.Plan(b, "1.0.0", cart, nil), 0)
	const total = 400.0
	stable := devenv.Series{Service: "cart", Namespace: "shop", Version: "1.0.0", Workload: canary.DeploymentName("cart", "1.0.0"), RPS: total}
	if err := tel.Set(stable); err != nil {
		b.Fatal(err)
	}
	guard := &config.Guard{ScrapeInterval: config.Duration{Duration: server.ScrapeInterval}}
	paths := []struct {
		name       string
		errorRatio float64
		interval   time.Duration
		healthy    func(i int) time.Duration // before the errors start
		quiet      time.Duration             // after a run, for the windows to forget it
	}{
		{"guard", 1, 30 * time.Second, func(i int) time.Duration {
			return 3*time.Second + time.Duration(i*137%1000)*time.Millisecond
		}, 3 * time.Second},
		{"interval", 0.05, 5 * time.Second, func(i int) time.Duration {
			return 10*time.Second + time.Duration(i%5)*time.Second + time.Duration(i*137%1000)*time.Millisecond
		}, 6 * time.Second},
	}
	for n, p := range paths {
		b.Run(p.name, func(b *testing.B) {
			version := fmt.Sprintf("1.%d.0", n+1)
			rel := f.Plan(b, version, cart, func(c *config.Config) { c.Canary.Analysis.Guard = guard })
			f.Deploy(b, rel, 0)
			spec := analysis.Spec{
				PrometheusURL: server.URL,
				Interval:      analysis.Duration{Duration: p.interval},
				Measurements:  1000, // the step never ends by passing
				FailureLimit:  2,
				Guard:         guard,
			}
			var took []time.Duration
			var runs []string
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d := rollbackOnce(b, f, rel, tel, server, spec, total, p.errorRatio, p.healthy(i), p.name == "guard")
				took = append(took, d)
				runs = append(runs, fmt.Sprintf("%v after %v of health", d.Round(time.Millisecond), p.healthy(i)))
				b.StopTimer()
				time.Sleep(p.quiet)
				b.StartTimer()
			}
			slices.Sort(took)
			b.ReportMetric(took[0].Seconds(), "min-s")
			b.ReportMetric(took[len(took)/2].Seconds(), "median-s")
			b.ReportMetric(took[len(took)-1].Seconds(), "max-s")
			// One line: go test keeps only the first lines a benchmark logs.
			b.Logf("%s path over %d runs: min %v, median %v, max %v; runs: %s", p.name, len(took),
				took[0].Round(time.Millisecond), took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond),
				strings.Join(runs, ", "))
		})
	}
}

// rollbackOnce runs shift-weight's operation to 10% with the analysis as
// its gate, lets the canary be healthy for healthy, makes it answer
// errorRatio of its requests with 500, and returns how long until Shift
// sent traffic back and returned.
func rollbackOnce(b *testing.B, f *canarytest.Fixture, rel canarytest.Release, tel *devenv.Telemetry, server *devenv.Prometheus,
	spec analysis.Spec, total, errorRatio float64, healthy time.Duration, wantGuard bool) time.Duration {
	var took time.Duration
	f.Setup(b, rel, "shift-weight", func(ctx context.Context, o *canary.Opened) error {
		targets, err := stepgate.Targets(ctx, o)
		if err != nil {
			return err
		}
		q, err := prom.New(server.URL, nil)
		if err != nil {
			return err
		}
		a, err := analysis.New(spec, targets, analysis.Options{Querier: q})
		if err != nil {
			return err
		}
		g := &meshGate{Analyzer: a, tel: tel, total: total, canary: devenv.Series{
			Service: "cart", Namespace: "shop", Version: rel.Version, Workload: canary.DeploymentName("cart", rel.Version)}}
		done := make(chan error, 1)
		go func() {
			_, err := canary.Shift(ctx, o.Env, o.Plan, canary.ShiftOptions{Steps: []int{10}, Gate: g})
			done <- err
		}()
		time.Sleep(healthy)
		start := time.Now()
		g.change(func(s *devenv.Series) { s.ErrorRatio = errorRatio })
		err = <-done
		took = time.Since(start)
		g.change(func(s *devenv.Series) { s.RPS, s.ErrorRatio = 0, 0 })
		if outcome.KindOf(err) != outcome.KindNegative || !errors.Is(err, analysis.ErrAnalysisFailed) {
			return fmt.Errorf("Shift() = %v, want a negative outcome wrapping ErrAnalysisFailed", err)
		}
		if errors.Is(err, analysis.ErrGuardTripped) != wantGuard {
			return fmt.Errorf("Shift() = %v, want the guard to have tripped: %v", err, wantGuard)
		}
		return nil
	})
	return took
}
