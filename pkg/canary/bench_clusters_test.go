package canary_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/kube"
	"github.com/aviary-cd/aviary/pkg/topology"
)

// clusterEnv is an Env on the fixture's placement of rel whose clients of
// each cluster count their writes to route objects into writes[context].
func clusterEnv(b *testing.B, f *canarytest.Fixture, rel canarytest.Release, writes map[string]*atomic.Int64) *canary.Env {
	b.Helper()
	place, err := topology.Place(rel.Loaded.Plan.Config.Topology, topology.Options{})
	if err != nil {
		b.Fatal(err)
	}
	r := kube.NewResolver(kube.Options{})
	for name, c := range f.Clusters {
		n := &atomic.Int64{}
		writes[name] = n
		r.Set(name, counting(b, c.Kubeconfig, n))
	}
	env := canary.NewEnv(place, r)
	env.Timeout = 5 * time.Minute
	return env
}

// counting are admin clients of kubeconfig that count their write
// requests to the route objects (VirtualServices and DestinationRules).
func counting(b *testing.B, kubeconfig string, writes *atomic.Int64) *kube.Clients {
	cfg, err := kube.RESTConfig(kube.Options{Kubeconfig: kubeconfig})
	if err != nil {
		b.Fatal(err)
	}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Method != http.MethodGet && (strings.Contains(r.URL.Path, "/virtualservices") || strings.Contains(r.URL.Path, "/destinationrules")) {
				writes.Add(1)
			}
			return rt.RoundTrip(r)
		})
	})
	c, err := kube.NewClients(cfg, kube.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkShift100Clusters is BenchmarkShift100 across clusters
// (delta-canary-cluster, one mesh): 100 services whose traffic is decided
// in the release cluster while their canaries run in the canary cluster,
// moved between 10% and 20%. It reports the route object writes per shift
// in each cluster (target: 100 in the release cluster, one per
// VirtualService, none in the canary cluster) and the time per shift
// (target: at most 1 s).
func BenchmarkShift100Clusters(b *testing.B) {
	f := canarytest.StartLayout(b, canarytest.DeltaCanaryCluster("shop"), devenv.ClusterOptions{})
	svcs := services(100)
	v1 := f.Plan(b, "1.0.0", svcs, nil)
	v2 := f.Plan(b, "1.1.0", svcs, nil)
	writes := map[string]*atomic.Int64{}
	env := clusterEnv(b, f, v1, writes)
	ctx := context.Background()
	start := time.Now()
	for _, rel := range []canarytest.Release{v1, v2} {
		if _, err := canary.Deploy(ctx, env, rel.Loaded, canary.DeployOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("deployed 100 services in the release cluster and their 100 canaries in the canary cluster, ready, in %s", time.Since(start).Round(time.Millisecond))
	for _, w := range writes {
		w.Store(0)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := 10 + 10*(i%2)
		if _, err := canary.Shift(ctx, env, v2.Loaded, canary.ShiftOptions{Weight: w}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(writes[canarytest.ReleaseCluster].Load())/float64(b.N), "route-writes-release/op")
	b.ReportMetric(float64(writes[canarytest.CanaryCluster].Load())/float64(b.N), "route-writes-canary/op")
}

// BenchmarkSwitch100 measures a blue/green switch of 100 services once
// both sides run the plan, ready, alternating sides, between two
// namespaces of one cluster and between two clusters of one mesh (the
// route in both): ns/op is rebuild-cluster's whole operation (its apply
// re-applies 200 unchanged objects, its wait finds every Deployment
// ready), ms-switch/op the switch after readiness, from the operation's
// "switching" line to its end. Target: the switch at most 2 s.
func BenchmarkSwitch100(b *testing.B) {
	for _, layout := range []canarytest.Layout{
		canarytest.BlueGreenNamespaces("blue", "green"),
		canarytest.BlueGreenClusters("shop"),
	} {
		b.Run(layout.Name, func(b *testing.B) {
			f := canarytest.StartLayout(b, layout, devenv.ClusterOptions{Nodes: 2})
			rel := f.Plan(b, "1.0.0", services(100), nil)
			writes := map[string]*atomic.Int64{}
			var env *canary.Env
			if len(layout.Clusters) == 0 {
				var n atomic.Int64
				place, err := topology.Place(rel.Loaded.Plan.Config.Topology, topology.Options{})
				if err != nil {
					b.Fatal(err)
				}
				env = canary.NewEnv(place, only(counting(b, f.Cluster.Kubeconfig, &n)))
				env.Timeout = 5 * time.Minute
				writes[""] = &n
			} else {
				env = clusterEnv(b, f, rel, writes)
			}
			stable, passive, _ := env.Place.BlueGreen()
			sides := []string{string(stable.Role), string(passive.Role)}
			ctx := context.Background()
			start := time.Now()
			for _, side := range sides {
				if _, err := canary.Rebuild(ctx, env, rel.Loaded, canary.RebuildOptions{Passive: side, Switch: true}); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("built both sides of 100 services, ready, in %s", time.Since(start).Round(time.Millisecond))
			var total int64
			for _, w := range writes {
				total -= w.Load()
			}
			var switching time.Time
			env.Progress = func(s string) {
				if strings.HasPrefix(s, "switching ") {
					switching = time.Now()
				}
			}
			var switched time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := canary.Rebuild(ctx, env, rel.Loaded, canary.RebuildOptions{Passive: sides[i%2], Switch: true}); err != nil {
					b.Fatal(err)
				}
				switched += time.Since(switching)
			}
			b.StopTimer()
			b.ReportMetric(float64(switched.Milliseconds())/float64(b.N), "ms-switch/op")
			for _, w := range writes {
				total += w.Load()
			}
			b.ReportMetric(float64(total)/float64(b.N), "route-writes/op")
		})
	}
}

// BenchmarkRebuildApply100 measures rebuild-cluster's apply phase for a
// 100-service plan into the passive side (readiness excluded): from the
// operation's start to its wait for the Deployments, so reading both
// sides, checking no image (none is configured), and server-side applying
// 100 Deployments and 100 Services. Each round rebuilds the passive side
// with a new release, so every Deployment is new (the first round into an
// empty side). Between two namespaces of one cluster and between two
// clusters. Target: at most 5 s.
func BenchmarkRebuildApply100(b *testing.B) {
	for _, layout := range []canarytest.Layout{
		canarytest.BlueGreenNamespaces("blue", "green"),
		canarytest.BlueGreenClusters("shop"),
	} {
		b.Run(layout.Name, func(b *testing.B) {
			f := canarytest.StartLayout(b, layout, devenv.ClusterOptions{Nodes: 3})
			svcs := services(100)
			first := f.Plan(b, "1.0.0", svcs, nil)
			writes := map[string]*atomic.Int64{}
			var env *canary.Env
			if len(layout.Clusters) == 0 {
				var n atomic.Int64
				place, err := topology.Place(first.Loaded.Plan.Config.Topology, topology.Options{})
				if err != nil {
					b.Fatal(err)
				}
				env = canary.NewEnv(place, only(counting(b, f.Cluster.Kubeconfig, &n)))
				env.Timeout = 5 * time.Minute
			} else {
				env = clusterEnv(b, f, first, writes)
			}
			var applied time.Duration
			var t0 time.Time
			env.Progress = func(s string) {
				if strings.HasPrefix(s, "waiting for ") && applied == 0 && !t0.IsZero() {
					applied = time.Since(t0)
				}
			}
			ctx := context.Background()
			var total time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				rel := first
				if i > 0 {
					rel = f.Plan(b, fmt.Sprintf("1.0.%d", i), svcs, nil)
				}
				applied, t0 = 0, time.Now()
				b.StartTimer()
				if _, err := canary.Rebuild(ctx, env, rel.Loaded, canary.RebuildOptions{Passive: "passive"}); err != nil {
					b.Fatal(err)
				}
				total += applied
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-apply/op")
		})
	}
}
