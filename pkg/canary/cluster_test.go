package canary_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
)

// TestPipeline walks two releases through a real cluster the way a
// pipeline does, in each namespace topology, each step with only its Roles
// from examples/rbac/<topology> and each run twice, the second run
// changing nothing: first release → deploy 1.1.0 → 10% → 50% → promote →
// rollback. After every step the fixture's route checks say where each
// service's traffic goes and which pods serve it: from the route objects,
// and from a real istiod, asked over xDS what a client sidecar receives.
func TestPipeline(t *testing.T) {
	for _, layout := range []canarytest.Layout{
		canarytest.SingleCluster("shop"),
		canarytest.CanaryNamespace("shop", "shop-canary"),
	} {
		t.Run(layout.Name, func(t *testing.T) { pipeline(t, layout) })
	}
}

func pipeline(t *testing.T, layout canarytest.Layout) {
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	f.WithIstiod(t)
	c := admin(t, f)
	rel, can := layout.Namespaces[0], layout.Namespaces[len(layout.Namespaces)-1]
	svcs := []canarytest.Service{{Name: "cart", Replicas: 3}, {Name: "web"}, {Name: "api", Content: "same"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, nil)
	roles := map[string]string{}
	for _, step := range []string{"deploy-canary", "shift-weight", "promote", "rollback"} {
		roles[step] = f.KubeconfigFor(t, step)
	}
	twice := func(name string, r canarytest.Release, step string, fn op) canary.Result {
		t.Helper()
		res := do(t, f, r, step, roles[step], fn)
		after := fingerprint(t, c, f)
		again := do(t, f, r, step, roles[step], fn)
		if diff := cmp.Diff(after, fingerprint(t, c, f)); diff != "" {
			t.Errorf("%s: running %s a second time changed the cluster (-first +second):\n%s", name, step, diff)
		}
		// The second run finds the work done: its status and note may say
		// so, but it reports the same services, versions and weights.
		if diff := cmp.Diff(res.Rows, again.Rows, cmpopts.IgnoreFields(canary.Row{}, "Status", "Note")); diff != "" {
			t.Errorf("%s: running %s a second time reports other versions or weights (-first +second):\n%s", name, step, diff)
		}
		return res
	}
	hasAll := func(when string, want map[string]string) {
		t.Helper()
		fp := fingerprint(t, c, f)
		for name, prefix := range want {
			if prefix == "" {
				if _, ok := fp[name]; ok {
					t.Errorf("%s: %s exists, want it gone", when, name)
				}
				continue
			}
			if !hasPrefix(fp[name], prefix) {
				t.Errorf("%s: %s = %q, want %s", when, name, fp[name], prefix)
			}
		}
	}

	res := twice("first release", v1, "deploy-canary", deployAt(0))
	if got, want := res.Services(canary.First), []string{"cart", "web", "api"}; !cmp.Equal(got, want) {
		t.Errorf("first release services = %v, want %v", got, want)
	}
	f.Check(t, "the first release",
		canarytest.Serves("cart", rel, "1.0.0"), canarytest.Serves("web", rel, "1.0.0"), canarytest.Serves("api", rel, "1.0.0"))

	res = twice("deploy 1.1.0", v2, "deploy-canary", deployAt(0))
	if got, want := res.Services(canary.Changed), []string{"cart", "web"}; !cmp.Equal(got, want) {
		t.Errorf("changed services = %v, want %v (api's content did not change)", got, want)
	}
	hasAll("after deploying 1.1.0", map[string]string{
		rel + "/deployment/cart-v1-0-0":    "replicas=3",
		can + "/deployment/cart-v1-1-0":    "replicas=3",
		rel + "/deployment/api-v1-0-0":     "replicas=2",
		can + "/deployment/api-v1-1-0":     "",
		rel + "/record/aviary-record-cart": "canary=1.1.0,phase=canary,plan=",
	})
	f.Check(t, "deploying 1.1.0 at 0%",
		canarytest.Serves("cart", rel, "1.0.0"), canarytest.Serves("web", rel, "1.0.0"), canarytest.Serves("api", rel, "1.0.0"))

	for _, w := range []int{10, 50} {
		twice("shift", v2, "shift-weight", shiftTo(w))
		f.Check(t, "shifting to "+itoa(w)+"%",
			canarytest.Splits("cart", w, rel, "1.0.0", can, "1.1.0"),
			canarytest.Splits("web", w, rel, "1.0.0", can, "1.1.0"),
			canarytest.Serves("api", rel, "1.0.0"))
	}

	twice("promote", v2, "promote", promoteKeeping(1))
	hasAll("after promote", map[string]string{
		rel + "/deployment/cart-v1-1-0":    "replicas=3 ",
		rel + "/deployment/cart-v1-0-0":    "replicas=1 ",
		rel + "/deployment/web-v1-0-0":     "replicas=1 ",
		rel + "/deployment/api-v1-0-0":     "replicas=2 ",
		rel + "/record/aviary-record-cart": "phase=promoted,plan=",
	})
	if rel != can {
		hasAll("after promote", map[string]string{can + "/deployment/cart-v1-1-0": "", can + "/deployment/web-v1-1-0": ""})
	}
	f.Check(t, "promote",
		canarytest.Serves("cart", rel, "1.1.0"), canarytest.Serves("web", rel, "1.1.0"), canarytest.Serves("api", rel, "1.0.0"))

	res = twice("rollback", v2, "rollback", rollback)
	if got, want := res.Services(canary.RolledBack), []string{"cart", "web"}; !cmp.Equal(got, want) {
		t.Errorf("rolled back = %v, want %v", got, want)
	}
	hasAll("after rollback", map[string]string{
		rel + "/deployment/cart-v1-0-0": "replicas=3 ",
		rel + "/deployment/cart-v1-1-0": "replicas=0 ",
		rel + "/deployment/web-v1-0-0":  "replicas=2 ",
	})
	f.Check(t, "rollback",
		canarytest.Serves("cart", rel, "1.0.0"), canarytest.Serves("web", rel, "1.0.0"), canarytest.Serves("api", rel, "1.0.0"))
}

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

func itoa(n int) string { return fmt.Sprint(n) }
