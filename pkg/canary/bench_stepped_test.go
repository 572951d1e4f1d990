package canary_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
)

// BenchmarkSteppedShift100 measures one weight of a stepped blue/green
// switch of 100 services between two clusters of one mesh (the route in
// both), once the rebuilt cluster runs the plan, ready: shift-weight's
// whole operation (reading the records and both clusters, re-checking the
// rebuilt Deployments, one route write per service and cluster, the
// records), alternating 10 % and 20 %. Target, as a canary's shift: at
// most 1 s, one write per route object.
func BenchmarkSteppedShift100(b *testing.B) {
	layout := canarytest.BlueGreenClusters("shop")
	f := canarytest.StartLayout(b, layout, devenv.ClusterOptions{Nodes: 3})
	v1 := f.Plan(b, "1.0.0", services(100), nil)
	v2 := f.Plan(b, "1.1.0", services(100), nil)
	writes := map[string]*atomic.Int64{}
	env := clusterEnv(b, f, v1, writes)
	ctx := context.Background()
	if _, err := canary.Rebuild(ctx, env, v1.Loaded, canary.RebuildOptions{Passive: "active", Switch: true}); err != nil {
		b.Fatal(err)
	}
	if _, err := canary.Rebuild(ctx, env, v2.Loaded, canary.RebuildOptions{Passive: "passive", Stepped: true}); err != nil {
		b.Fatal(err)
	}
	var total int64
	for _, w := range writes {
		total -= w.Load()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := canary.Shift(ctx, env, v2.Loaded, canary.ShiftOptions{Weight: 10 + 10*(i%2)}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	for _, w := range writes {
		total += w.Load()
	}
	b.ReportMetric(float64(total)/float64(b.N), "route-writes/op")
}
