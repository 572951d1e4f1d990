package main

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
)

// TestNamespaceBlueGreen rebuilds the passive namespace from a plan with
// only the rebuild-cluster Roles, switches traffic to it, refuses to
// rebuild the namespace that serves, and switches back with the next
// release.
func TestNamespaceBlueGreen(t *testing.T) {
	f := canarytest.StartLayout(t, canarytest.BlueGreenNamespaces("shop-blue", "shop-green"), devenv.ClusterOptions{})
	ctx := context.Background()
	v1 := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}, {Name: "web"}}, nil)
	v2 := f.Plan(t, "1.1.0", []canarytest.Service{{Name: "cart"}, {Name: "web"}}, nil)
	kc := f.KubeconfigFor(t, "rebuild-cluster")
	args := func(rel canarytest.Release, ns string) []string {
		return []string{"--plan=" + rel.Ref, "--kubeconfig=" + kc, "--namespace=" + ns, "--holder=test"}
	}
	// Before anything was released neither side serves: either may be
	// built first.
	r := canarytest.RunStep(t, catalog.RebuildCluster, run, nil, append(args(v1, "shop-blue"), "--switch=false")...)
	if r.Code != 0 || r.Outputs["passive"] != "shop-blue" {
		t.Fatalf("building shop-blue first, without switching = exit %d, outputs %v; want 0\n%s", r.Code, r.Outputs, r.Stderr)
	}
	r = canarytest.RunStep(t, catalog.RebuildCluster, run, nil, args(v1, "shop-green")...)
	if r.Code != 0 || r.Outputs["active"] != "shop-green" || r.Outputs["passive"] != "shop-blue" {
		t.Fatalf("rebuild shop-green = exit %d, outputs %v; want green active\n%s", r.Code, r.Outputs, r.Stderr)
	}
	f.Check(t, "rebuilding shop-green", canarytest.Serves("cart", "shop-green", "1.0.0"), canarytest.Serves("web", "shop-green", "1.0.0"))
	r = canarytest.RunStep(t, catalog.RebuildCluster, run, nil, args(v2, "shop-green")...)
	if r.Code != step.ExitInvalid || !strings.Contains(r.Stderr, `namespace "shop-green" serves traffic now`) {
		t.Errorf("rebuilding the active namespace = exit %d, want %d\n%s", r.Code, step.ExitInvalid, r.Stderr)
	}
	// The second run (a CI retry) finds blue serving this same release:
	// it has nothing left to do and answers as the first did.
	for range 2 {
		r = canarytest.RunStep(t, catalog.RebuildCluster, run, nil, args(v2, "shop-blue")...)
		if r.Code != 0 || r.Outputs["active"] != "shop-blue" || r.Outputs["passive"] != "shop-green" {
			t.Fatalf("rebuild shop-blue = exit %d, outputs %v; want blue active\n%s", r.Code, r.Outputs, r.Stderr)
		}
	}
	f.Check(t, "rebuilding shop-blue", canarytest.Serves("cart", "shop-blue", "1.1.0"), canarytest.Serves("web", "shop-blue", "1.1.0"))
	ds, err := f.Cluster.Client().AppsV1().Deployments("shop-blue").List(ctx, metav1.ListOptions{})
	if err != nil || len(ds.Items) != 2 || ds.Items[0].Name != "cart-v1-1-0" {
		t.Errorf("shop-blue Deployments = %d (err %v), want cart-v1-1-0 and web-v1-1-0", len(ds.Items), err)
	}
	r = canarytest.RunStep(t, catalog.RebuildCluster, run, nil, args(v2, "shop-test")...)
	if r.Code != step.ExitInvalid {
		t.Errorf("rebuilding a namespace outside the topology = exit %d, want %d", r.Code, step.ExitInvalid)
	}
}
