package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/toolcache"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/config"
)

// TestDemoPipeline runs the demo as `make demo` does against the real
// local environment and freshly built step binaries, on the namespace
// topologies of one cluster and on one cluster topology (gateway-routed-
// clusters: three control planes, istiod for the gateway cluster with a
// remote secret for the two others), and checks where it leaves the
// clusters: act 2 promotes every service (into the release cluster), act
// 3's faulty canary is rolled back by the analysis, and gateway-routed-
// clusters' act 4 rebuilds the release cluster in place. The other topologies
// run the same way by hand (make demo TOPOLOGY=<kind>).
func TestDemoPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Kubernetes control plane, a registry and Prometheus")
	}
	for _, kind := range []config.TopologyKind{config.SingleCluster, config.CanaryNamespace, config.GatewayRoutedClusters} {
		t.Run(string(kind), func(t *testing.T) { demoPipeline(t, kind) })
	}
}

func demoPipeline(t *testing.T, kind config.TopologyKind) {
	root, err := toolcache.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if dl, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-30*time.Second))
		defer cancel()
	}
	out := &testWriter{t: t}
	// AVIARY_STEPS_BIN (make test sets it to make build's bin/) saves
	// each run its own build of the steps.
	res, err := run(ctx, options{Root: root, Out: out, Topology: kind, BinDir: os.Getenv("AVIARY_STEPS_BIN")})
	out.Flush()
	if err != nil {
		t.Fatalf("run() = %v", err)
	}
	// gateway-routed-clusters closes the release in a fourth act: the
	// release cluster rebuilt in place from the promoted plan.
	closes := kind == config.GatewayRoutedClusters
	wantActs := 3
	if closes {
		wantActs = 4
	}
	if len(res.Acts) != wantActs {
		t.Fatalf("run() ran %d acts, want %d", len(res.Acts), wantActs)
	}

	t.Run("outputs", func(t *testing.T) {
		planRef := regexp.MustCompile(`^127\.0\.0\.1:\d+/shop/plans@sha256:[0-9a-f]{64}$`)
		seen := map[string]int{}
		for _, r := range res.Runs {
			seen[r.Step]++
			switch r.Step {
			case "bundle-plan":
				if ref := r.Outputs["plan-ref"]; !planRef.MatchString(ref) {
					t.Errorf("act %d: bundle-plan plan-ref = %q, want <registry>/shop/plans@sha256:<digest>", r.Act, ref)
				} else if !strings.HasSuffix(ref, "@"+r.Outputs["plan-digest"]) {
					t.Errorf("act %d: bundle-plan plan-ref = %q, does not end in plan-digest %q", r.Act, ref, r.Outputs["plan-digest"])
				}
			case "verify-artifacts":
				if got := r.Outputs["verified"]; got != "true" {
					t.Errorf("act %d: verify-artifacts verified = %q, want true", r.Act, got)
				}
			}
		}
		for _, s := range stepNames {
			if s == "rebuild-cluster" {
				if closes != (seen[s] != 0) {
					t.Errorf("rebuild-cluster ran %d times for %s; want it only where the release closes in place", seen[s], kind)
				}
				continue
			}
			if seen[s] == 0 {
				t.Errorf("step %s never ran", s)
			}
		}
		versions := []string{res.Acts[0].Version, res.Acts[1].Version, res.Acts[2].Version}
		if want := []string{"0.1.0", "0.2.0", "0.2.1"}; strings.Join(versions, " ") != strings.Join(want, " ") {
			t.Errorf("released versions = %v, want %v", versions, want)
		}
	})

	t.Run("act 2 promoted every service", func(t *testing.T) {
		a := res.Acts[1]
		want := canary.VersionValue(a.Version)
		if len(a.Routes) != 3 {
			t.Fatalf("act 2 left %d VirtualServices, want 3: %+v", len(a.Routes), a.Routes)
		}
		for _, r := range a.Routes {
			if r.Stable != want || r.Canary != "" || r.StableWeight != 100 || r.CanaryWeight != 0 {
				t.Errorf("after promote, %s: stable subset %q, canary subset %q, weights %d/%d; want stable %q, no canary, 100/0",
					r.Service, r.Stable, r.Canary, r.StableWeight, r.CanaryWeight, want)
			}
			if r.Phase != canary.PhasePromoted {
				t.Errorf("after promote, %s: phase %q, want %q", r.Service, r.Phase, canary.PhasePromoted)
			}
			if stable := stableCluster(t, kind); stable != "" {
				for _, d := range r.Dests {
					if d.Weight > 0 && d.Cluster != stable {
						t.Errorf("after promote, %s: %d%% to cluster %q, want all to the stable cluster %q", r.Service, d.Weight, d.Cluster, stable)
					}
				}
			}
		}
	})

	if closes {
		t.Run("act 4 rebuilt the release cluster in place", func(t *testing.T) {
			a := res.Acts[3]
			want := canary.VersionValue(res.Acts[1].Version)
			if a.Version != res.Acts[1].Version || len(a.Routes) != 3 {
				t.Fatalf("act 4 closed %s with %d VirtualServices, want %s and 3", a.Version, len(a.Routes), res.Acts[1].Version)
			}
			for _, r := range a.Routes {
				if r.Stable != want || r.StableWeight != 100 || r.CanaryWeight != 0 {
					t.Errorf("after the close, %s: stable %q at %d%%, canary at %d%%; want stable %q at 100%%", r.Service, r.Stable, r.StableWeight, r.CanaryWeight, want)
				}
			}
		})
	}

	t.Run("act 3 rolled back", func(t *testing.T) {
		a := res.Acts[2]
		if a.Skipped != "" {
			t.Fatalf("act 3 was skipped: %s", a.Skipped)
		}
		var shift *stepRun
		for _, r := range res.Runs {
			if r.Act == 3 && r.Step == "shift-weight" {
				shift = r
			}
		}
		if shift == nil {
			t.Fatal("act 3 ran no shift-weight")
		}
		if shift.Exit != 1 || shift.Outputs["weight"] != "0" {
			t.Errorf("act 3 shift-weight: exit %d, weight %q; want exit 1 (analysis failed), weight 0", shift.Exit, shift.Outputs["weight"])
		}
		stable := canary.VersionValue(res.Acts[1].Version)
		for _, r := range a.Routes {
			if r.CanaryWeight != 0 || r.StableWeight != 100 || r.Stable != stable {
				t.Errorf("after the rollback, %s: stable %q at %d%%, canary %q at %d%%; want stable %q at 100%%, canary 0%%",
					r.Service, r.Stable, r.StableWeight, r.Canary, r.CanaryWeight, stable)
			}
		}
	})
}

// stableCluster is the cluster ID of the stable side of kind's example,
// "" for a topology of one cluster.
func stableCluster(t *testing.T, kind config.TopologyKind) string {
	t.Helper()
	root, err := toolcache.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	l, err := readLayout(root, kind)
	if err != nil {
		t.Fatal(err)
	}
	stable, _ := l.Place.Part(config.PartStable)
	return stable.ClusterID
}

// testWriter logs whole lines to the test.
type testWriter struct {
	t   *testing.T
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		i := bytes.IndexByte(w.buf.Bytes(), '\n')
		if i < 0 {
			return len(p), nil
		}
		w.t.Log(string(w.buf.Next(i + 1)[:i]))
	}
}

func (w *testWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() > 0 {
		w.t.Log(w.buf.String())
		w.buf.Reset()
	}
}
