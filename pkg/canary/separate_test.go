package canary_test

import (
	"testing"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
)

// ingressIP is the canary cluster's ingress gateway address in
// TestSeparateMeshes (TEST-NET-1: no pod has it).
const ingressIP = "192.0.2.10"

// TestSeparateMeshes runs delta-canary-cluster with a mesh per cluster
// (topology.mesh: separate): each cluster has its own real istiod, no
// remote secrets. After every step the release cluster's istiod is asked,
// as a client sidecar, how each service is split: the stable share to the
// release cluster's pods, the canary share to the canary cluster's ingress
// gateway address (a ServiceEntry aviary wrote); and the canary cluster's
// istiod is asked, as its ingress gateway, where that host goes: to the
// canary pods there (the Gateway and VirtualService aviary wrote beside
// them). Promote removes the ServiceEntry and the ingress objects that
// served the canary alone.
func TestSeparateMeshes(t *testing.T) {
	layout := canarytest.Separate(canarytest.DeltaCanaryCluster("shop"), map[string]string{canarytest.CanaryCluster: ingressIP + ":8080"})
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	f.WithSeparateIstiods(t, 8080)
	rel, can := canarytest.ReleaseCluster, canarytest.CanaryCluster
	svcs := []canarytest.Service{{Name: "cart", Replicas: 3}, {Name: "api", Content: "same"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, nil)
	twice := clusterTwice(t, f)

	twice("first release", v1, "deploy-canary", deployAt(0))
	f.Check(t, "the first release", canarytest.ServesIn("cart", rel, "shop", "1.0.0"), canarytest.ServesIn("api", rel, "shop", "1.0.0"))
	twice("deploy 1.1.0", v2, "deploy-canary", deployAt(10))
	f.Check(t, "deploying 1.1.0 at 10%",
		canarytest.SplitsRemote("cart", 10, "shop", rel, "1.0.0", can, "1.1.0", ingressIP),
		canarytest.ServesIn("api", rel, "shop", "1.0.0"))
	twice("shift", v2, "shift-weight", shiftTo(60))
	f.Check(t, "shifting to 60%",
		canarytest.SplitsRemote("cart", 60, "shop", rel, "1.0.0", can, "1.1.0", ingressIP),
		canarytest.ServesIn("api", rel, "shop", "1.0.0"))
	twice("promote", v2, "promote", promoteKeeping(1))
	f.Check(t, "promote", canarytest.ServesIn("cart", rel, "shop", "1.1.0"), canarytest.ServesIn("api", rel, "shop", "1.0.0"))
	fp := clusterFingerprint(t, f)
	if _, ok := fp[can+"/shop/deployment/cart-v1-1-0"]; ok {
		t.Errorf("after promote, the canary cluster still runs cart 1.1.0")
	}
	objs := remoteObjects(t, f)
	for _, key := range []string{rel + "/shop/serviceentry/aviary-remote-cart-canary", can + "/shop/gateway/aviary-remote-cart-canary", can + "/shop/virtualservice/aviary-remote-cart-canary"} {
		if objs[key] {
			t.Errorf("after promote, %s is still there: it served the canary alone", key)
		}
	}
	twice("rollback", v2, "rollback", rollback)
	f.Check(t, "rollback", canarytest.ServesIn("cart", rel, "shop", "1.0.0"), canarytest.ServesIn("api", rel, "shop", "1.0.0"))
}
