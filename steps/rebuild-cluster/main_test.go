package main

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/kube"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/pkg/traffic"
	"github.com/aviary-cd/aviary/pkg/traffic/istio"
)

func blueGreen(c *config.Config) {
	c.Topology = config.Topology{Kind: config.ActivePassiveCanaryNamespace, Targets: []config.Target{
		{Role: config.RoleActive, Namespace: "shop-blue"},
		{Role: config.RolePassive, Namespace: "shop-green"},
	}}
}

// TestNamespaceBlueGreen rebuilds the passive namespace from a plan,
// switches traffic to it, refuses to rebuild the namespace that serves,
// and switches back with the next release.
func TestNamespaceBlueGreen(t *testing.T) {
	f := canarytest.Start(t, "shop-blue")
	ctx := context.Background()
	for _, ns := range []string{"shop-green"} {
		if err := f.Cluster.EnsureNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	v1 := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}, {Name: "web"}}, blueGreen)
	v2 := f.Plan(t, "1.1.0", []canarytest.Service{{Name: "cart"}, {Name: "web"}}, blueGreen)
	args := func(rel canarytest.Release, ns string) []string {
		return []string{"--plan=" + rel.Ref, "--kubeconfig=" + f.Cluster.Kubeconfig, "--namespace=" + ns, "--holder=test"}
	}
	r := canarytest.RunStep(t, catalog.RebuildCluster, run, nil, args(v1, "shop-green")...)
	if r.Code != 0 || r.Outputs["active"] != "shop-green" || r.Outputs["passive"] != "shop-blue" {
		t.Fatalf("rebuild shop-green = exit %d, outputs %v; want green active\n%s", r.Code, r.Outputs, r.Stderr)
	}
	c, err := kube.Connect(ctx, kube.Options{Kubeconfig: f.Cluster.Kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	host := func(service string) string {
		route, err := istio.New(c.Istio).Weights(ctx, traffic.Service{Namespace: "shop-blue", Name: service})
		if err != nil || len(route.Weights) != 1 || route.Weights[0].Weight != 100 {
			t.Fatalf("route of %s = %v, %v; want one destination at 100", service, route.Weights, err)
		}
		return route.Weights[0].Destination.Host
	}
	if got, want := host("cart"), "cart.shop-green.svc.cluster.local"; got != want {
		t.Errorf("cart routes to %s, want %s", got, want)
	}
	r = canarytest.RunStep(t, catalog.RebuildCluster, run, nil, args(v2, "shop-green")...)
	if r.Code != step.ExitInvalid || !strings.Contains(r.Stderr, `namespace "shop-green" serves traffic now`) {
		t.Errorf("rebuilding the active namespace = exit %d, want %d\n%s", r.Code, step.ExitInvalid, r.Stderr)
	}
	r = canarytest.RunStep(t, catalog.RebuildCluster, run, nil, args(v2, "shop-blue")...)
	if r.Code != 0 || r.Outputs["active"] != "shop-blue" || r.Outputs["passive"] != "shop-green" {
		t.Fatalf("rebuild shop-blue = exit %d, outputs %v; want blue active\n%s", r.Code, r.Outputs, r.Stderr)
	}
	if got, want := host("web"), "web.shop-blue.svc.cluster.local"; got != want {
		t.Errorf("web routes to %s, want %s", got, want)
	}
	ds, err := c.Kube.AppsV1().Deployments("shop-blue").List(ctx, metav1.ListOptions{})
	if err != nil || len(ds.Items) != 2 || ds.Items[0].Name != "cart-v1-1-0" {
		t.Errorf("shop-blue Deployments = %d (err %v), want cart-v1-1-0 and web-v1-1-0", len(ds.Items), err)
	}
	r = canarytest.RunStep(t, catalog.RebuildCluster, run, nil, args(v2, "shop-test")...)
	if r.Code != step.ExitInvalid {
		t.Errorf("rebuilding a namespace outside the topology = exit %d, want %d", r.Code, step.ExitInvalid)
	}
}
