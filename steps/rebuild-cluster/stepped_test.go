package main

import (
	"testing"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/config"
)

// TestSteppedSwitchInput begins a stepped switch with the step, with only
// its Roles of examples/rbac/blue-green-namespaces on a real control
// plane: the rebuilt namespace gets the release config's initial weight,
// or the initial-weight input; the outputs name the side being switched
// to; a re-run keeps the weight in effect.
func TestSteppedSwitchInput(t *testing.T) {
	f := canarytest.StartLayout(t, canarytest.BlueGreenNamespaces("shop-blue", "shop-green"), devenv.ClusterOptions{})
	svcs := []canarytest.Service{{Name: "cart"}, {Name: "web"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, func(c *config.Config) { c.Canary.InitialWeight = 10 })
	kc := f.KubeconfigFor(t, "rebuild-cluster")
	run1 := func(r canarytest.Release, ns string, extra ...string) canarytest.Ran {
		t.Helper()
		return canarytest.RunStep(t, catalog.RebuildCluster, run, nil, append([]string{"--plan=" + r.Ref, "--kubeconfig=" + kc, "--namespace=" + ns, "--holder=test"}, extra...)...)
	}
	// A first release has nothing serving to step away from: it is
	// switched to at once.
	r := run1(v1, "shop-blue", "--switch=stepped")
	if r.Code != 0 || r.Outputs["active"] != "shop-blue" || r.Outputs["switching"] != "" {
		t.Fatalf("a first release with switch stepped = exit %d, outputs %v; want blue active, no switch in progress\n%s", r.Code, r.Outputs, r.Stderr)
	}
	f.Check(t, "a first release with switch stepped", canarytest.Serves("cart", "shop-blue", "1.0.0"), canarytest.Serves("web", "shop-blue", "1.0.0"))

	r = run1(v2, "shop-green", "--switch=stepped")
	if r.Code != 0 || r.Outputs["active"] != "shop-blue" || r.Outputs["passive"] != "shop-green" || r.Outputs["switching"] != "shop-green" {
		t.Fatalf("switch stepped = exit %d, outputs %v; want blue active, switching to green\n%s", r.Code, r.Outputs, r.Stderr)
	}
	f.Check(t, "beginning at the config's 10%",
		canarytest.Splits("cart", 10, "shop-blue", "1.0.0", "shop-green", "1.1.0"), canarytest.Splits("web", 10, "shop-blue", "1.0.0", "shop-green", "1.1.0"))
	// A weight below the one in effect never moves traffic back.
	r = run1(v2, "shop-green", "--switch=stepped", "--initial-weight=5")
	if r.Code != 0 || r.Outputs["switching"] != "shop-green" {
		t.Fatalf("re-running switch stepped = exit %d, outputs %v\n%s", r.Code, r.Outputs, r.Stderr)
	}
	f.Check(t, "re-running at 5%",
		canarytest.Splits("cart", 10, "shop-blue", "1.0.0", "shop-green", "1.1.0"), canarytest.Splits("web", 10, "shop-blue", "1.0.0", "shop-green", "1.1.0"))
	// Switching at once finishes the stepped switch.
	r = run1(v2, "shop-green")
	if r.Code != 0 || r.Outputs["active"] != "shop-green" || r.Outputs["switching"] != "" {
		t.Fatalf("switching at once during a stepped switch = exit %d, outputs %v\n%s", r.Code, r.Outputs, r.Stderr)
	}
	f.Check(t, "switching at once", canarytest.Serves("cart", "shop-green", "1.1.0"), canarytest.Serves("web", "shop-green", "1.1.0"))
}
