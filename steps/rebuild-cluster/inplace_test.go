package main

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/catalog"
)

// TestSingleClusterRebuiltInPlace rebuilds a single-cluster namespace from
// plans with the step, with only its Roles of examples/rbac/single-cluster
// on a real control plane: the first plan is served at once, the next one
// replaces it in place (no canary), the version it replaced kept passive;
// a re-run changes nothing; the canary side is refused by name.
func TestSingleClusterRebuiltInPlace(t *testing.T) {
	f := canarytest.StartLayout(t, canarytest.SingleCluster("shop"), devenv.ClusterOptions{})
	svcs := []canarytest.Service{{Name: "cart"}, {Name: "web"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, nil)
	kc := f.KubeconfigFor(t, "rebuild-cluster")
	run1 := func(r canarytest.Release, side string) canarytest.Ran {
		t.Helper()
		return canarytest.RunStep(t, catalog.RebuildCluster, run, nil, "--plan="+r.Ref, "--kubeconfig="+kc, "--side="+side, "--holder=test")
	}
	for _, r := range []canarytest.Release{v1, v2, v2} {
		ran := run1(r, "shop")
		if ran.Code != 0 || ran.Outputs["active"] != "shop" || ran.Outputs["passive"] != "" {
			t.Fatalf("rebuilding shop in place from %s = exit %d, outputs %v; want shop active, no passive side\n%s", r.Version, ran.Code, ran.Outputs, ran.Stderr)
		}
		f.Check(t, "rebuilt in place from "+r.Version, canarytest.Serves("cart", "shop", r.Version), canarytest.Serves("web", "shop", r.Version))
	}
	for _, svc := range []string{"cart", "web"} {
		d, err := f.Cluster.Client().AppsV1().Deployments("shop").Get(context.Background(), svc+"-v1-0-0", metav1.GetOptions{})
		if err != nil || *d.Spec.Replicas != 1 || d.Annotations[canary.AnnotationRole] != canary.DeploymentPassive {
			t.Errorf("%s 1.0.0 after the rebuild from 1.1.0: %+v, err %v; want it kept passive with 1 replica", svc, d.Spec.Replicas, err)
		}
	}
	// Run again with the analysis comparing with stable: no version
	// changes, so there is nothing to judge (nor a Prometheus to ask).
	ran := canarytest.RunStep(t, catalog.RebuildCluster, run, nil, "--plan="+v2.Ref, "--kubeconfig="+kc, "--side=shop", "--holder=test",
		"--analyze=true", "--compare-stable=true", "--prometheus-url=http://127.0.0.1:9")
	if ran.Code != 0 || ran.Outputs["gate"] != "" {
		t.Fatalf("re-running the rebuild from %s with the analysis = exit %d, gate %q; want 0 and no gate: no version changes\n%s", v2.Version, ran.Code, ran.Outputs["gate"], ran.Stderr)
	}
	if ran := run1(v2, "nowhere"); ran.Code != 2 {
		t.Fatalf("rebuilding a side that is not the topology's = exit %d, want 2\n%s", ran.Code, ran.Stderr)
	}
}
