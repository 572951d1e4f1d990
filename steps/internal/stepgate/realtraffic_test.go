package stepgate_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
)

// TestShiftWithRealTraffic runs shift-weight on a release whose requests
// are real: a real istiod routes a frontend's gRPC requests to cart's pods
// by the VirtualService shift-weight writes (devenv.Mesh), and a real
// Prometheus holds what the pods' simulated sidecars report. Each weight
// the step sets is the share of answers each version gives, within 5
// points over more than 1,000 requests; a canary answering 30% errors is
// caught by the analysis on those requests and sent back to 0%, after
// which no request reaches it and no error reaches the frontend.
func TestShiftWithRealTraffic(t *testing.T) {
	f := canarytest.Start(t, "shop") // skips under -short
	ist := f.WithIstiod(t)
	mesh := devenv.StartMesh(t, devenv.MeshOptions{Clusters: []*devenv.Cluster{f.Cluster}})
	prom := devenv.StartPrometheus(t, mesh.Target)
	host := canarytest.Host("cart", f.Namespace)
	kubeconfig := f.KubeconfigFor(t, "shift-weight")

	v1 := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}}, nil)
	f.Deploy(t, v1, 0) // the first release goes straight to stable
	if _, err := mesh.Call(devenv.CallerOptions{
		Workload: "frontend", Namespace: f.Namespace, Istiod: ist,
		Calls: []devenv.Call{{Host: host, RPS: 200}},
	}); err != nil {
		t.Fatal(err)
	}
	waitAnswers(t, mesh, host, map[string]int{"1.0.0": 100}, 400)

	shift := func(t *testing.T, rel canarytest.Release, steps string) canarytest.Ran {
		t.Helper()
		return canarytest.RunStep(t, catalog.ShiftWeight, shiftWeight, nil,
			"--plan="+rel.Ref, "--kubeconfig="+kubeconfig, "--holder=test", "--steps="+steps,
			"--prometheus-url="+prom.URL, "--analysis-interval=3s", "--analysis-measurements=2", "--failure-limit=2")
	}

	t.Run("healthy canary", func(t *testing.T) {
		v2 := f.Plan(t, "1.1.0", []canarytest.Service{{Name: "cart"}}, nil)
		f.Deploy(t, v2, 10)
		waitForRate(t, prom, canary.DeploymentName("cart", "1.1.0"))
		for _, w := range []int{20, 50} {
			r := shift(t, v2, fmt.Sprint(w))
			if r.Code != 0 || r.Outputs["weight"] != fmt.Sprint(w) {
				t.Fatalf("shift-weight --steps=%d = exit %d, weight %q; want 0, %d\n%s", w, r.Code, r.Outputs["weight"], w, r.Stderr)
			}
			got := waitAnswers(t, mesh, host, map[string]int{"1.0.0": 100 - w, "1.1.0": w}, 1000)
			t.Logf("at %d%%, 1.0.0 and 1.1.0 answered %v", w, got)
		}
		promote(t, f, v2)
		waitAnswers(t, mesh, host, map[string]int{"1.1.0": 100}, 400)
	})

	t.Run("failing canary", func(t *testing.T) {
		v3 := f.Plan(t, "1.2.0", []canarytest.Service{{Name: "cart"}}, nil)
		mesh.Set("cart", canary.VersionValue("1.2.0"), devenv.Behaviour{ErrorRatio: 0.3})
		f.Deploy(t, v3, 10)
		waitForRate(t, prom, canary.DeploymentName("cart", "1.2.0"))
		start := time.Now()
		r := shift(t, v3, "20,50")
		if r.Code != step.ExitNegative || r.Outputs["weight"] != "0" {
			t.Fatalf("shift-weight = exit %d, weight %q; want exit %d, weight 0\n%s", r.Code, r.Outputs["weight"], step.ExitNegative, r.Stderr)
		}
		rolledBack := time.Now()
		reached := mesh.Received().Between(start, rolledBack).To(host)
		t.Logf("while shift-weight analysed, 1.2.0 received %d requests and failed %d; the frontend saw %d failures",
			reached.ByVersion()["1.2.0"], reached.Failed()["1.2.0"], mesh.Answers().Between(start, rolledBack).To(host).Failed()["1.2.0"])
		if reached.Failed()["1.2.0"] == 0 {
			t.Fatalf("1.2.0 answered no failure while shift-weight analysed it: the analysis had nothing real to catch")
		}
		// Back on stable: after istiod has pushed the route, 1.2.0 receives
		// nothing and the frontend sees no error.
		got := waitAnswers(t, mesh, host, map[string]int{"1.1.0": 100}, 1000)
		if failed := mesh.Answers().Since(rolledBack.Add(time.Second)).To(host).Failed(); len(failed) > 0 {
			t.Errorf("after the rollback, the frontend still saw failures: %v", failed)
		}
		t.Logf("after the rollback, the frontend's answers: %v", got)
	})
}

// promote runs promote's operation for rel: the canary becomes stable.
func promote(t testing.TB, f *canarytest.Fixture, rel canarytest.Release) {
	t.Helper()
	f.Setup(t, rel, "promote", func(ctx context.Context, o *canary.Opened) error {
		_, err := canary.Promote(ctx, o.Env, o.Plan, canary.PromoteOptions{})
		return err
	})
}

// waitAnswers waits until n answers to host, counted from a moment after
// the call, split between versions as want (percent) within 5 points, and
// returns the counts. A route change reaches requests within a second, so
// it counts afresh until the split holds, for at most 60 s.
func waitAnswers(t testing.TB, mesh *devenv.Mesh, host string, want map[string]int, n int) map[string]int {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		from := time.Now()
		var got map[string]int
		for {
			time.Sleep(250 * time.Millisecond)
			if answers := mesh.Answers().Since(from).To(host); len(answers) >= n {
				got = answers.ByVersion()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("fewer than %d answers to %s in 60 s: the caller sends too few requests", n, host)
			}
		}
		off := splitOff(got, want)
		if off == "" {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("answers to %s = %v, want %v%% within 5 points: %s", host, got, want, off)
		}
	}
}

// splitOff says how counts miss the percentages of want by more than 5
// points, or "" if they do not.
func splitOff(counts, want map[string]int) string {
	total := 0
	for _, n := range counts {
		total += n
	}
	for v, n := range counts {
		if _, ok := want[v]; !ok && n > 0 {
			return fmt.Sprintf("%d answers from %q", n, v)
		}
	}
	for v, w := range want {
		if got := 100 * float64(counts[v]) / float64(total); math.Abs(got-float64(w)) > 5 {
			return fmt.Sprintf("%s has %.1f%%", v, got)
		}
	}
	return ""
}
