package canary_test

import (
	"context"
	"maps"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/topology"
)

// TestWritesPerService counts, against a real API server, the requests
// promote and a rollback after it make for three services in one
// namespace: each DestinationRule and each VirtualService is written once
// by promote (which leaves the canary subset, then selecting the promoted
// version as the stable one does, for the next canary), the rollback
// writes each DestinationRule once (dropping that canary subset in the
// write that points stable back) and no VirtualService (the route sends
// everything to stable already), and the DestinationRule ends as each step
// means it to.
func TestWritesPerService(t *testing.T) {
	f := canarytest.Start(t, "shop")
	svcs := []canarytest.Service{{Name: "cart"}, {Name: "web"}, {Name: "api"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, nil)
	var writes atomic.Int64
	tally := &requestTally{}
	c := writeCountingClients(t, f, &writes, tally, nil)
	place, err := topology.Place(v1.Loaded.Plan.Config.Topology, topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	env := func() *canary.Env {
		e := canary.NewEnv(place, only(c))
		e.Timeout = 2 * time.Minute
		return e
	}
	ctx := context.Background()
	if _, err := canary.Deploy(ctx, env(), v1.Loaded, canary.DeployOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := canary.Deploy(ctx, env(), v2.Loaded, canary.DeployOptions{InitialWeight: 10}); err != nil {
		t.Fatal(err)
	}
	dr := func(when string, want map[string]string) {
		t.Helper()
		got, err := canarytest.IstioClient(t, c).NetworkingV1().DestinationRules("shop").Get(ctx, "cart", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		subsets := map[string]string{}
		for _, s := range got.Spec.Subsets {
			subsets[s.Name] = s.Labels[topology.VersionLabel]
		}
		if diff := cmp.Diff(want, subsets); diff != "" {
			t.Errorf("%s: subsets of DestinationRule cart (-want +got):\n%s", when, diff)
		}
	}
	step := func(name string, fn func(*canary.Env) error, want map[string]int) {
		t.Helper()
		tally.reset()
		if err := fn(env()); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := tally.writes()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: writes by method and resource (-want +got):\n%s", name, diff)
		}
	}
	v11, v10 := canary.VersionValue("1.1.0"), canary.VersionValue("1.0.0")
	step("promote", func(e *canary.Env) error {
		_, err := canary.Promote(ctx, e, v2.Loaded, canary.PromoteOptions{})
		return err
	}, map[string]int{"PUT destinationrules": 3, "PUT virtualservices": 3, "PUT configmaps": 3, "PATCH deployments": 3})
	dr("after promote", map[string]string{topology.StableSubset: v11, topology.CanarySubset: v11})
	step("promote again", func(e *canary.Env) error {
		_, err := canary.Promote(ctx, e, v2.Loaded, canary.PromoteOptions{})
		return err
	}, map[string]int{})
	step("rollback", func(e *canary.Env) error {
		_, err := canary.Rollback(ctx, e, v2.Loaded)
		return err
	}, map[string]int{"PUT destinationrules": 3, "PUT configmaps": 3, "PATCH deployments": 9})
	dr("after rollback", map[string]string{topology.StableSubset: v10})
}

// writes is the tally without its reads (GET).
func (t *requestTally) writes() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := maps.Clone(t.n)
	if out == nil {
		out = map[string]int{}
	}
	maps.DeleteFunc(out, func(k string, _ int) bool { return len(k) > 4 && k[:4] == "GET " })
	return out
}
