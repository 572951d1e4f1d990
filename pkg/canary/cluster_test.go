package canary_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
)

// TestPipeline walks two releases through a real cluster the way a
// pipeline does, each step with only its Role from examples/rbac and each
// run twice, the second run changing nothing:
// first release → deploy 1.1.0 → 10% → 50% → promote → rollback.
func TestPipeline(t *testing.T) {
	f := canarytest.Start(t, "shop")
	c := admin(t, f)
	ns := f.Namespace
	v1 := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart", Replicas: 3}, {Name: "web"}, {Name: "api", Content: "same"}}, nil)
	v2 := f.Plan(t, "1.1.0", []canarytest.Service{{Name: "cart", Replicas: 3}, {Name: "web"}, {Name: "api", Content: "same"}}, nil)
	roles := map[string]string{}
	for _, step := range []string{"deploy-canary", "shift-weight", "promote", "rollback"} {
		roles[step] = f.KubeconfigFor(t, step)
	}
	twice := func(name string, rel canarytest.Release, step string, op func(context.Context, *canary.Env, *canary.Opened) (canary.Result, error)) canary.Result {
		t.Helper()
		res := do(t, f, rel, step, roles[step], op)
		after := fingerprint(t, c, ns)
		again := do(t, f, rel, step, roles[step], op)
		if diff := cmp.Diff(after, fingerprint(t, c, ns)); diff != "" {
			t.Errorf("%s: running %s a second time changed the cluster (-first +second):\n%s", name, step, diff)
		}
		if diff := cmp.Diff(res.Rows, again.Rows); diff != "" && step != "deploy-canary" {
			t.Logf("%s: second run reports (-first +second):\n%s", name, diff)
		}
		return res
	}
	deploy := func(w int) func(context.Context, *canary.Env, *canary.Opened) (canary.Result, error) {
		return func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
			return canary.Deploy(ctx, e, o.Plan, canary.DeployOptions{InitialWeight: w})
		}
	}
	shift := func(w int) func(context.Context, *canary.Env, *canary.Opened) (canary.Result, error) {
		return func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
			return canary.Shift(ctx, e, o.Plan, canary.ShiftOptions{Weight: w})
		}
	}

	res := twice("first release", v1, "deploy-canary", deploy(0))
	if got, want := res.Services(canary.First), []string{"cart", "web", "api"}; !cmp.Equal(got, want) {
		t.Errorf("first release services = %v, want %v", got, want)
	}
	if diff := cmp.Diff(map[string]any{
		"cart": split(ns, "cart", 100, -1), "web": split(ns, "web", 100, -1), "api": split(ns, "api", 100, -1),
	}, anyMap(weights(t, c, ns, "cart", "web", "api"))); diff != "" {
		t.Errorf("routes after the first release (-want +got):\n%s", diff)
	}

	res = twice("deploy 1.1.0", v2, "deploy-canary", deploy(0))
	if got, want := res.Services(canary.Changed), []string{"cart", "web"}; !cmp.Equal(got, want) {
		t.Errorf("changed services = %v, want %v (api's content did not change)", got, want)
	}
	fp := fingerprint(t, c, ns)
	for name, want := range map[string]string{
		"deployment/cart-v1-0-0": "replicas=3",
		"deployment/cart-v1-1-0": "replicas=3",
		"deployment/api-v1-0-0":  "replicas=2",
	} {
		if !hasPrefix(fp[name], want) {
			t.Errorf("%s = %q, want %s", name, fp[name], want)
		}
	}
	if _, ok := fp["deployment/api-v1-1-0"]; ok {
		t.Error("api, unchanged, got a canary Deployment")
	}
	if diff := cmp.Diff(map[string]any{
		"cart": split(ns, "cart", 100, 0), "web": split(ns, "web", 100, 0), "api": split(ns, "api", 100, -1),
	}, anyMap(weights(t, c, ns, "cart", "web", "api"))); diff != "" {
		t.Errorf("routes after deploying 1.1.0 (-want +got):\n%s", diff)
	}

	for _, w := range []int{10, 50} {
		twice("shift", v2, "shift-weight", shift(w))
		if diff := cmp.Diff(map[string]any{
			"cart": split(ns, "cart", 100-w, w), "web": split(ns, "web", 100-w, w), "api": split(ns, "api", 100, -1),
		}, anyMap(weights(t, c, ns, "cart", "web", "api"))); diff != "" {
			t.Errorf("routes at %d%% (-want +got):\n%s", w, diff)
		}
	}

	twice("promote", v2, "promote", func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Promote(ctx, e, o.Plan, canary.PromoteOptions{PassiveReplicas: 1})
	})
	fp = fingerprint(t, c, ns)
	for name, want := range map[string]string{
		"deployment/cart-v1-1-0": "replicas=3",
		"deployment/cart-v1-0-0": "replicas=1",
		"deployment/web-v1-0-0":  "replicas=1",
		"deployment/api-v1-0-0":  "replicas=2",
	} {
		if !hasPrefix(fp[name], want) {
			t.Errorf("after promote %s = %q, want %s", name, fp[name], want)
		}
	}
	if diff := cmp.Diff(map[string]any{
		"cart": split(ns, "cart", 100, -1), "web": split(ns, "web", 100, -1), "api": split(ns, "api", 100, -1),
	}, anyMap(weights(t, c, ns, "cart", "web", "api"))); diff != "" {
		t.Errorf("routes after promote (-want +got):\n%s", diff)
	}
	if got := fp["destinationrule/cart"]; got != `{"host":"cart","subsets":[{"name":"stable","labels":{"aviary.dev/version":"1.1.0"}}]}` {
		t.Errorf("cart DestinationRule after promote = %s, want only stable selecting 1.1.0", got)
	}

	res = twice("rollback", v2, "rollback", func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Rollback(ctx, e, o.Plan)
	})
	if got, want := res.Services(canary.RolledBack), []string{"cart", "web"}; !cmp.Equal(got, want) {
		t.Errorf("rolled back = %v, want %v", got, want)
	}
	fp = fingerprint(t, c, ns)
	for name, want := range map[string]string{
		"deployment/cart-v1-0-0": "replicas=3",
		"deployment/cart-v1-1-0": "replicas=0",
		"deployment/web-v1-0-0":  "replicas=2",
	} {
		if !hasPrefix(fp[name], want) {
			t.Errorf("after rollback %s = %q, want %s", name, fp[name], want)
		}
	}
	if got := fp["destinationrule/cart"]; got != `{"host":"cart","subsets":[{"name":"stable","labels":{"aviary.dev/version":"1.0.0"}}]}` {
		t.Errorf("cart DestinationRule after rollback = %s, want only stable selecting 1.0.0", got)
	}
}

func anyMap[V any](m map[string]V) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }
