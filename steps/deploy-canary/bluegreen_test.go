package main

import (
	"context"
	"testing"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/config"
)

// TestDeployBlueGreen runs deploy-canary on a namespace blue/green with
// only its Roles of examples/rbac/blue-green-namespaces on a real control
// plane: the side that does not serve is rebuilt from the plan and a
// stepped switch to it begins at the initial weight (a first release is
// served at once); a re-run keeps the switch as it is; the next plan goes
// to the other side once the switch completed.
func TestDeployBlueGreen(t *testing.T) {
	f := canarytest.StartLayout(t, canarytest.BlueGreenNamespaces("shop-blue", "shop-green"), devenv.ClusterOptions{})
	svcs := []canarytest.Service{{Name: "cart"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, func(c *config.Config) { c.Canary.InitialWeight = 20 })
	kc := f.KubeconfigFor(t, "deploy-canary")
	deploy := func(r canarytest.Release) canarytest.Ran {
		t.Helper()
		ran := canarytest.RunStep(t, catalog.DeployCanary, run, nil, "--plan="+r.Ref, "--kubeconfig="+kc, "--holder=test")
		if ran.Code != 0 {
			t.Fatalf("deploy-canary %s = exit %d\n%s", r.Version, ran.Code, ran.Stderr)
		}
		return ran
	}
	// Nothing serves yet: the passive side is built and serves at once.
	deploy(v1)
	f.Check(t, "deploying a first release", canarytest.Serves("cart", "shop-green", "1.0.0"))
	for range 2 {
		ran := deploy(v2)
		if ran.Outputs["changed"] != "cart" || ran.Outputs["weight"] != "20" {
			t.Errorf("deploy-canary 1.1.0 outputs %v, want cart changed at weight 20", ran.Outputs)
		}
		f.Check(t, "deploying 1.1.0 beside 1.0.0", canarytest.Splits("cart", 20, "shop-green", "1.0.0", "shop-blue", "1.1.0"))
	}
	f.Setup(t, v2, "promote", func(ctx context.Context, o *canary.Opened) error {
		_, err := canary.Promote(ctx, o.Env, o.Plan, canary.PromoteOptions{})
		return err
	})
	f.Check(t, "promoting the switch", canarytest.Serves("cart", "shop-blue", "1.1.0"))
	// Once the switch completed, deploying the same plan again changes
	// nothing: it does not begin a switch back.
	if ran := deploy(v2); ran.Outputs["changed"] != "" {
		t.Errorf("deploy-canary 1.1.0 after its switch completed: outputs %v, want nothing changed", ran.Outputs)
	}
	f.Check(t, "deploying 1.1.0 again", canarytest.Serves("cart", "shop-blue", "1.1.0"))
	// The next plan goes to the side that no longer serves.
	v3 := f.Plan(t, "1.2.0", svcs, func(c *config.Config) { c.Canary.InitialWeight = 20 })
	deploy(v3)
	f.Check(t, "deploying 1.2.0", canarytest.Splits("cart", 20, "shop-blue", "1.1.0", "shop-green", "1.2.0"))
}
