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

// TestClusterBlueGreen runs the step, with only its Roles of
// examples/rbac/blue-green-clusters in each cluster, on two real control
// planes joined in one mesh (blue-green-clusters: the release cluster
// active, the canary cluster passive, the route in both). After every switch a real istiod of
// each cluster, with a remote secret for the other, is asked over xDS what
// a client sidecar there receives, and the pod IPs behind the one weight
// must come from the cluster switched to. It switches to the passive
// cluster, refuses to rebuild the cluster that serves, switches back at
// once to the kept previous release, forward again, and rebuilds the
// passive cluster without switching so that both are equal.
func TestClusterBlueGreen(t *testing.T) {
	layout := canarytest.BlueGreenClusters("shop")
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	f.WithMeshIstiods(t, canarytest.ReleaseCluster, canarytest.CanaryCluster)
	rel, can := canarytest.ReleaseCluster, canarytest.CanaryCluster
	svcs := []canarytest.Service{{Name: "cart", Replicas: 3}, {Name: "web"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, nil)
	kc := f.KubeconfigFor(t, "rebuild-cluster")
	rebuild := func(r canarytest.Release, side string, extra ...string) canarytest.Ran {
		t.Helper()
		return canarytest.RunStep(t, catalog.RebuildCluster, run, nil,
			append([]string{"--plan=" + r.Ref, "--kubeconfig=" + kc, "--side=" + side, "--holder=test"}, extra...)...)
	}
	serves := func(after, cluster, version string) {
		t.Helper()
		f.Check(t, after, canarytest.ServesIn("cart", cluster, "shop", version), canarytest.ServesIn("web", cluster, "shop", version))
	}
	switched := func(r canarytest.Ran, active, passive string) {
		t.Helper()
		if r.Code != 0 || r.Outputs["active"] != active || r.Outputs["passive"] != passive {
			t.Fatalf("exit %d, outputs %v; want 0 with %s active, %s passive\n%s", r.Code, r.Outputs, active, passive, r.Stderr)
		}
	}
	deployments := func(cluster string) []string {
		t.Helper()
		ds, err := f.In(cluster).Client().AppsV1().Deployments("shop").List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range ds.Items {
			names = append(names, d.Name)
		}
		return names
	}

	if r := rebuild(v1, "shop"); r.Code != step.ExitInvalid || !strings.Contains(r.Stderr, `"shop" names both sides`) {
		t.Errorf("rebuilding by the namespace both clusters share = exit %d, want %d naming both sides\n%s", r.Code, step.ExitInvalid, r.Stderr)
	}
	switched(rebuild(v1, "active"), rel, can)
	serves("the first release into the release cluster", rel, "1.0.0")

	switched(rebuild(v2, can), can, rel)
	serves("switching to the canary cluster", can, "1.1.0")
	// A retry of the switch answers as the run did; another release into
	// the cluster that serves is refused.
	switched(rebuild(v2, can), can, rel)
	if r := rebuild(v1, can); r.Code != step.ExitInvalid || !strings.Contains(r.Stderr, `cluster "canary" serves traffic now: rebuild the passive one, "release"`) {
		t.Errorf("rebuilding the cluster that serves with another release = exit %d, want %d\n%s", r.Code, step.ExitInvalid, r.Stderr)
	}
	if got := strings.Join(deployments(rel), ","); got != "cart-v1-0-0,web-v1-0-0" {
		t.Errorf("release cluster after the switch away = %s, want the previous release kept", got)
	}

	// Switching back to the kept release applies nothing new.
	switched(rebuild(v1, rel), rel, can)
	serves("switching back to the release cluster", rel, "1.0.0")
	switched(rebuild(v2, "passive"), can, rel)
	serves("switching forward again", can, "1.1.0")

	// Rebuild the other one too, so that both are equal; traffic stays.
	r := rebuild(v2, rel, "--switch=false")
	if r.Code != 0 || r.Outputs["active"] != can || r.Outputs["passive"] != rel {
		t.Fatalf("rebuilding the release cluster without switching = exit %d, outputs %v\n%s", r.Code, r.Outputs, r.Stderr)
	}
	serves("rebuilding the release cluster without switching", can, "1.1.0")
	if got := strings.Join(deployments(rel), ","); got != "cart-v1-1-0,web-v1-1-0" {
		t.Errorf("release cluster after its rebuild = %s, want 1.1.0 alone", got)
	}
}
