package stepgate_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	istioclient "istio.io/client-go/pkg/clientset/versioned"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
)

// BenchmarkRealTraffic measures, on real requests routed by a real istiod
// (devenv.Mesh: a frontend sending 200 requests/s to cart), what the
// weights and the analysis do to traffic:
//
//   - split-off-max-pts: the largest gap, in points, between a weight
//     shift-weight's operation set (10, 25, 50, 75, 90) and the share of
//     2,000 answers the canary gave;
//
//   - to-first-p50-ms, to-first-p99-ms: from the VirtualService's write
//     (the time a watch on it hears of the change) at 0 → 50% to the
//     first request answered by the canary; to-last-p50-ms,
//     to-last-p99-ms: at 50 → 0% to the last request answered by the
//     canary (0 when none was sent after the write); 20 changes each;
//
//   - failing-reached, failing-failed, users-saw, rollback-s: a canary at
//     10% starts answering 30% errors; shift-weight (steps 20,50; analysis
//     every 5 s, 2 measurements, failure limit 1) runs: the requests that
//     reached the canary from the moment its errors started until its last
//     answer, how many it failed, how many failures reached the frontend,
//     and the seconds from the errors' start to the canary's last answer.
//
//     go test -run '^$' -bench RealTraffic -benchtime 1x ./steps/internal/stepgate
func BenchmarkRealTraffic(b *testing.B) {
	f := canarytest.Start(b, "shop") // skips under -short
	ist := f.WithIstiod(b)
	mesh := devenv.StartMesh(b, devenv.MeshOptions{Clusters: []*devenv.Cluster{f.Cluster}})
	prom := devenv.StartPrometheus(b, mesh.Target)
	host := canarytest.Host("cart", f.Namespace)
	v1 := f.Plan(b, "1.0.0", []canarytest.Service{{Name: "cart"}}, nil)
	f.Deploy(b, v1, 0)
	if _, err := mesh.Call(devenv.CallerOptions{
		Workload: "frontend", Namespace: f.Namespace, Istiod: ist,
		Calls: []devenv.Call{{Host: host, RPS: 200}},
	}); err != nil {
		b.Fatal(err)
	}
	waitAnswers(b, mesh, host, map[string]int{"1.0.0": 100}, 400)
	writes := watchWrites(b, f, "cart")
	// shiftTo sets the canary's weight and returns when the
	// VirtualService was written.
	shiftTo := func(rel canarytest.Release, w int) time.Time {
		b.Helper()
		before := time.Now()
		f.Setup(b, rel, "shift-weight", func(ctx context.Context, o *canary.Opened) error {
			_, err := canary.Shift(ctx, o.Env, o.Plan, canary.ShiftOptions{Weight: w})
			return err
		})
		return writes.after(b, before)
	}

	// Each iteration releases two versions of its own: n.1.0 (shifted,
	// then promoted) and n.2.0 (failing, rolled back and removed).
	n := 0
	for b.Loop() {
		n++
		good, bad := fmt.Sprintf("%d.1.0", n), fmt.Sprintf("%d.2.0", n)
		v2 := f.Plan(b, good, []canarytest.Service{{Name: "cart"}}, nil)
		f.Deploy(b, v2, 0)

		// Observed split against each weight.
		worst := 0.0
		for _, w := range []int{10, 25, 50, 75, 90} {
			written := shiftTo(v2, w)
			time.Sleep(time.Second) // istiod's push, well past
			from := time.Now()
			answers := waitCount(b, mesh, host, from, 2000)
			got := 100 * float64(answers.ByVersion()[good]) / float64(len(answers))
			b.Logf("weight %d%%: the canary gave %.1f%% of %d answers (%s after the write)", w, got, len(answers), from.Sub(written).Round(time.Millisecond))
			worst = max(worst, math.Abs(got-float64(w)))
		}
		b.ReportMetric(worst, "split-off-max-pts")

		// Config-to-traffic delay.
		shiftTo(v2, 0)
		time.Sleep(time.Second)
		var toFirst, toLast []float64
		for range 20 {
			written := shiftTo(v2, 50)
			first := waitFirst(b, mesh, host, good, written)
			toFirst = append(toFirst, ms(max(first.Sub(written), 0)))
			time.Sleep(500 * time.Millisecond)
			written = shiftTo(v2, 0)
			time.Sleep(2 * time.Second) // any late canary answer has come by now
			last := lastFrom(mesh.Answers().Since(written).To(host), good)
			toLast = append(toLast, ms(max(last.Sub(written), 0)))
		}
		b.Logf("0 → 50%%, ms to the canary's first answer: %v", toFirst)
		b.Logf("50 → 0%%, ms to the canary's last answer: %v", toLast)
		b.ReportMetric(percentile(toFirst, 50), "to-first-p50-ms")
		b.ReportMetric(percentile(toFirst, 99), "to-first-p99-ms")
		b.ReportMetric(percentile(toLast, 50), "to-last-p50-ms")
		b.ReportMetric(percentile(toLast, 99), "to-last-p99-ms")
		promote(b, f, v2)

		// A failing canary, caught by the interval analysis.
		v3 := f.Plan(b, bad, []canarytest.Service{{Name: "cart"}}, nil)
		f.Deploy(b, v3, 10)
		waitForRate(b, prom, canary.DeploymentName("cart", bad))
		errorsStart := time.Now()
		mesh.Set("cart", canary.VersionValue(bad), devenv.Behaviour{ErrorRatio: 0.3})
		r := canarytest.RunStep(b, catalog.ShiftWeight, shiftWeight, nil,
			"--plan="+v3.Ref, "--kubeconfig="+f.Cluster.Kubeconfig, "--holder=bench", "--steps=20,50",
			"--prometheus-url="+prom.URL, "--analysis-interval=5s", "--analysis-measurements=2", "--failure-limit=1")
		if r.Code != step.ExitNegative {
			b.Fatalf("shift-weight on a failing canary = exit %d, want %d\n%s", r.Code, step.ExitNegative, r.Stderr)
		}
		time.Sleep(2 * time.Second)
		reached := mesh.Received().Since(errorsStart).To(host)
		last := lastFrom(reached, bad)
		b.ReportMetric(float64(reached.ByVersion()[bad]), "failing-reached")
		b.ReportMetric(float64(reached.Failed()[bad]), "failing-failed")
		b.ReportMetric(float64(mesh.Answers().Since(errorsStart).To(host).Failed()[bad]), "users-saw")
		b.ReportMetric(last.Sub(errorsStart).Seconds(), "rollback-s")
		// The pipeline's failure path: rollback removes the canary.
		f.Setup(b, v3, "rollback", func(ctx context.Context, o *canary.Opened) error {
			_, err := canary.Rollback(ctx, o.Env, o.Plan)
			return err
		})
	}
}

// waitCount waits for n answers to host sent from from on, and returns
// the first n.
func waitCount(b *testing.B, mesh *devenv.Mesh, host string, from time.Time, n int) devenv.Tally {
	b.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if answers := mesh.Answers().Since(from).To(host); len(answers) >= n {
			return answers[:n]
		}
		if time.Now().After(deadline) {
			b.Fatalf("fewer than %d answers to %s in 60 s", n, host)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitFirst waits for the first answer from version to a request sent
// after from, and returns when that request was sent.
func waitFirst(b *testing.B, mesh *devenv.Mesh, host, version string, from time.Time) time.Time {
	b.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, a := range mesh.Answers().Since(from).To(host) {
			if a.Version == version {
				return a.At
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("no answer from %s in 30 s after the weight change", version)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lastFrom is when the last request answered by version was sent (zero if
// none was).
func lastFrom(answers devenv.Tally, version string) time.Time {
	var last time.Time
	for _, a := range answers {
		if a.Version == version && a.At.After(last) {
			last = a.At
		}
	}
	return last
}

// vsWrites are the times a watch heard of changes to a VirtualService.
type vsWrites struct {
	mu    sync.Mutex
	times []time.Time
}

// watchWrites watches the VirtualService name in the fixture's namespace
// until the benchmark ends.
func watchWrites(b *testing.B, f *canarytest.Fixture, name string) *vsWrites {
	b.Helper()
	istio, err := istioclient.NewForConfig(f.Cluster.RESTConfig())
	if err != nil {
		b.Fatal(err)
	}
	w, err := istio.NetworkingV1().VirtualServices(f.Namespace).Watch(context.Background(), metav1.ListOptions{FieldSelector: "metadata.name=" + name})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Stop)
	ws := &vsWrites{}
	go func() {
		for ev := range w.ResultChan() {
			if ev.Type == watch.Added || ev.Type == watch.Modified {
				ws.mu.Lock()
				ws.times = append(ws.times, time.Now())
				ws.mu.Unlock()
			}
		}
	}()
	return ws
}

// after returns when the first write after t was heard.
func (ws *vsWrites) after(b *testing.B, t time.Time) time.Time {
	b.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ws.mu.Lock()
		for _, at := range ws.times {
			if at.After(t) {
				ws.mu.Unlock()
				return at
			}
		}
		ws.mu.Unlock()
		if time.Now().After(deadline) {
			b.Fatalf("no VirtualService write heard in 10 s after %s", t)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentile is the p-th percentile of xs, nearest rank.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}
