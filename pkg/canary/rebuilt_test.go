package canary_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
)

// TestRebuiltCanaryDropsService: in rebuilt-canary-cluster the canary
// cluster is rebuilt from each plan, so a service the next plan no longer
// has leaves it: its canary, still taking traffic, is routed back to its
// stable version in the release cluster first, then its Deployment goes
// from the canary cluster. A real istiod of the release cluster, with a
// remote secret for the canary cluster, is asked over xDS where each
// service's traffic goes. Every deploy runs twice, the second changing
// nothing.
func TestRebuiltCanaryDropsService(t *testing.T) {
	layout := canarytest.RebuiltCanaryCluster("shop")
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	f.WithMeshIstiods(t, layout.Clusters[0])
	rel, can := canarytest.ReleaseCluster, canarytest.CanaryCluster
	both := []canarytest.Service{{Name: "cart"}, {Name: "web"}}
	v1 := f.Plan(t, "1.0.0", both, nil)
	v2 := f.Plan(t, "1.1.0", both, nil)
	v3 := f.Plan(t, "1.2.0", []canarytest.Service{{Name: "cart"}}, nil)
	twice := clusterTwice(t, f)

	twice("first release", v1, "deploy-canary", deployAt(0))
	twice("deploy 1.1.0", v2, "deploy-canary", deployAt(20))
	f.Check(t, "deploying 1.1.0 at 20%",
		canarytest.SplitsAcross("cart", 20, "shop", rel, "1.0.0", can, "1.1.0"),
		canarytest.SplitsAcross("web", 20, "shop", rel, "1.0.0", can, "1.1.0"))

	res := do(t, f, v3, "deploy-canary", f.AdminKubeconfig, deployAt(10))
	if got, want := res.Services(canary.Dropped), []string{"web"}; !cmp.Equal(got, want) {
		t.Errorf("dropped services = %v, want %v", got, want)
	}
	// A second run finds web gone already: it changes nothing and drops
	// nothing.
	after := clusterFingerprint(t, f)
	again := do(t, f, v3, "deploy-canary", f.AdminKubeconfig, deployAt(10))
	if diff := cmp.Diff(after, clusterFingerprint(t, f)); diff != "" {
		t.Errorf("running deploy-canary of 1.2.0 a second time changed the clusters (-first +second):\n%s", diff)
	}
	if got := again.Services(canary.Dropped); len(got) != 0 {
		t.Errorf("the second run dropped %v, want nothing", got)
	}
	f.Check(t, "deploying 1.2.0 without web",
		canarytest.SplitsAcross("cart", 10, "shop", rel, "1.0.0", can, "1.2.0"),
		canarytest.ServesIn("web", rel, "shop", "1.0.0"))
	fp := clusterFingerprint(t, f)
	for _, d := range []string{"web-v1-1-0", "cart-v1-1-0"} {
		if _, ok := fp[can+"/shop/deployment/"+d]; ok {
			t.Errorf("after deploying 1.2.0, the canary cluster still runs %s", d)
		}
	}
	if !hasPrefix(fp[can+"/shop/deployment/cart-v1-2-0"], "replicas=2 ") {
		t.Errorf("after deploying 1.2.0, the canary cluster's cart-v1-2-0 = %q, want 2 replicas", fp[can+"/shop/deployment/cart-v1-2-0"])
	}
	if rec := fp[rel+"/shop/record/aviary-record-web"]; strings.Contains(rec, "canary=1.1.0") || !strings.Contains(rec, "stable=1.0.0") {
		t.Errorf("after web was dropped, its record = %q, want stable 1.0.0 and no canary", rec)
	}
}
