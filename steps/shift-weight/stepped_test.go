package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
)

// TestBlueGreenWithoutSwitch: on a blue/green topology with no stepped
// switch in progress, shift-weight exits 2 saying to begin one with
// rebuild-cluster, on a real control plane, and moves no traffic.
func TestBlueGreenWithoutSwitch(t *testing.T) {
	f := canarytest.StartLayout(t, canarytest.BlueGreenNamespaces("shop-blue", "shop-green"), devenv.ClusterOptions{})
	svcs := []canarytest.Service{{Name: "cart"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, nil)
	f.Setup(t, v1, "rebuild-cluster", func(ctx context.Context, o *canary.Opened) error {
		_, err := canary.Rebuild(ctx, o.Env, o.Plan, canary.RebuildOptions{Passive: "active", Switch: true})
		return err
	})
	r := canarytest.RunStep(t, catalog.ShiftWeight, run, nil, "--plan="+v2.Ref, "--kubeconfig="+f.AdminKubeconfig, "--weight=10", "--holder=test")
	if r.Code != step.ExitInvalid || !strings.Contains(r.Stderr, "no stepped switch of 1.1.0 is in progress on the blue-green-namespaces topology: run rebuild-cluster with this plan and switch stepped first") {
		t.Errorf("shift-weight without a switch in progress = exit %d, want %d saying to begin one\n%s", r.Code, step.ExitInvalid, r.Stderr)
	}
	f.Check(t, "refusing the shift", canarytest.Serves("cart", "shop-blue", "1.0.0"))
}
