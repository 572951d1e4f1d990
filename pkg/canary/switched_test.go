package canary_test

import (
	"testing"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
)

// TestCanaryAfterClusterSwitch: in active-passive-canary-namespace, once
// rebuild-cluster has switched to the passive cluster, the next release's
// canary half runs in the cluster now serving: the canaries in its canary
// namespace, the stable share on its release namespace, each subset
// selecting that cluster's ID (so the other cluster's pods of the same
// version take nothing), promote rolling the new version out there. A
// real istiod of the release cluster (where the route lives), with a
// remote secret for the other, is asked over xDS after every step; every
// step runs twice, the second changing nothing.
func TestCanaryAfterClusterSwitch(t *testing.T) {
	layout := canarytest.ActivePassiveCanaryNamespace("shop", "shop-canary")
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	f.WithMeshIstiods(t, canarytest.ReleaseCluster)
	rel, can := canarytest.ReleaseCluster, canarytest.CanaryCluster
	svcs := []canarytest.Service{{Name: "cart", Replicas: 3}, {Name: "api", Content: "same"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, nil)
	v3 := f.Plan(t, "1.2.0", svcs, nil)
	twice := clusterTwice(t, f)
	split := func(service string, weight int, cluster, stable, canaryVersion string) canarytest.Expect {
		e := canarytest.Expect{Service: service}
		if weight < 100 {
			e.Shares = append(e.Shares, canarytest.Local(100-weight, cluster, "shop", stable))
		}
		if weight > 0 {
			e.Shares = append(e.Shares, canarytest.Local(weight, cluster, "shop-canary", canaryVersion))
		}
		return e
	}

	twice("first release", v1, "deploy-canary", deployAt(0))
	twice("deploy 1.1.0", v2, "deploy-canary", deployAt(30))
	twice("promote 1.1.0", v2, "promote", promoteKeeping(1))
	twice("switch to the passive cluster", v2, "rebuild-cluster", rebuildOp(can, true))
	twice("rebuild the release cluster", v2, "rebuild-cluster", rebuildOp("active", false))
	f.Check(t, "switching and rebuilding", split("cart", 0, can, "1.1.0", ""), split("api", 0, can, "1.1.0", ""))

	twice("deploy 1.2.0", v3, "deploy-canary", deployAt(20))
	f.Check(t, "deploying 1.2.0 at 20% after the switch", split("cart", 20, can, "1.1.0", "1.2.0"), split("api", 0, can, "1.1.0", ""))
	fp := clusterFingerprint(t, f)
	if _, ok := fp[can+"/shop-canary/deployment/cart-v1-2-0"]; !ok {
		t.Errorf("after deploying 1.2.0, the serving cluster's canary namespace has no cart-v1-2-0")
	}
	if _, ok := fp[rel+"/shop-canary/deployment/cart-v1-2-0"]; ok {
		t.Errorf("after deploying 1.2.0, the release cluster's canary namespace runs cart-v1-2-0: the canary half did not follow the switch")
	}
	twice("shift", v3, "shift-weight", shiftTo(50))
	f.Check(t, "shifting to 50% after the switch", split("cart", 50, can, "1.1.0", "1.2.0"), split("api", 0, can, "1.1.0", ""))
	twice("promote 1.2.0", v3, "promote", promoteKeeping(1))
	f.Check(t, "promoting 1.2.0 after the switch", split("cart", 0, can, "1.2.0", ""), split("api", 0, can, "1.1.0", ""))
	fp = clusterFingerprint(t, f)
	if !hasPrefix(fp[can+"/shop/deployment/cart-v1-2-0"], "replicas=3 ") {
		t.Errorf("after promote, the serving cluster's cart-v1-2-0 = %q, want 3 replicas", fp[can+"/shop/deployment/cart-v1-2-0"])
	}
	if _, ok := fp[can+"/shop-canary/deployment/cart-v1-2-0"]; ok {
		t.Errorf("after promote, the canary namespace still runs cart-v1-2-0")
	}
	twice("rollback", v3, "rollback", rollback)
	f.Check(t, "rolling 1.2.0 back after the switch", split("cart", 0, can, "1.1.0", ""), split("api", 0, can, "1.1.0", ""))
}
