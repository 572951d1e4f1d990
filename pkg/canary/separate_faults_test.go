package canary_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/internal/faultproxy"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

// TestSeparateFaults breaks the canary cluster's API server halfway through
// steps of gateway-routed-clusters across separate meshes (a fault proxy
// answers 503 to its writes of one kind): writing the canary's ingress
// objects while deploying, reading its DestinationRules while shifting,
// and removing the ingress objects after promote. Each step fails
// as an external error naming that cluster, the gateway's istiod (asked as
// its ingress gateway) never sends traffic to a side that is not ready,
// and a re-run with the cluster healthy again converges.
func TestSeparateFaults(t *testing.T) {
	rel, can, gw := canarytest.ReleaseCluster, canarytest.CanaryCluster, canarytest.GatewayCluster
	layout := canarytest.Separate(canarytest.GatewayRoutedClusters("shop"), map[string]string{rel: releaseIngressIP + ":8080", can: canaryIngressIP + ":8080"})
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	edgeGateway(t, f)
	m := f.WithSeparateMeshes(t, 8080)
	svcs := []canarytest.Service{{Name: "cart"}, {Name: "web"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, nil)
	proxy, kc := f.Proxied(t, can)
	writes := func(method, resource string) {
		proxy.SetPlan(func(_ int, r *http.Request) faultproxy.Fault {
			if r.Method == method && strings.Contains(r.URL.Path, "/"+resource) {
				return faultproxy.Status5xx
			}
			return faultproxy.None
		})
	}
	healthy := func() { proxy.SetPlan(func(int, *http.Request) faultproxy.Fault { return faultproxy.None }) }
	failing := func(step string, r canarytest.Release, fn op) {
		t.Helper()
		ctx, o := open(t, f, r, step, kc)
		defer o.Close(ctx)
		_, err := fn(ctx, o.Env, o)
		if outcome.KindOf(err) != outcome.KindExternal || !strings.Contains(err.Error(), "in cluster "+can+": ") {
			t.Fatalf("%s with the canary cluster failing = %v, want an external error naming cluster %s", step, err, can)
		}
		t.Logf("%s with the canary cluster failing: %v", step, err)
	}
	split := func(service string, weight int, stable, canaryVersion string) canarytest.Expect {
		e := canarytest.Expect{Service: service}
		if weight < 100 {
			e.Shares = append(e.Shares, canarytest.Remote(100-weight, rel, "shop", stable, releaseIngressIP))
		}
		if weight > 0 {
			e.Shares = append(e.Shares, canarytest.Remote(weight, can, "shop", canaryVersion, canaryIngressIP))
		}
		return e
	}
	check := func(after string, want ...canarytest.Expect) {
		t.Helper()
		m.ViaGateway(gw)(context.Background(), t, after, want)
	}

	do(t, f, v1, "deploy-canary", kc, deployAt(0))

	// The canaries' ingress Gateways cannot be written: no route moves.
	writes(http.MethodPatch, "gateways")
	failing("deploy-canary", v2, deployAt(20))
	check("deploy-canary failing in the canary cluster", split("cart", 0, "1.0.0", ""), split("web", 0, "1.0.0", ""))
	healthy()
	do(t, f, v2, "deploy-canary", kc, deployAt(20))
	check("re-running deploy-canary", split("cart", 20, "1.0.0", "1.1.0"), split("web", 20, "1.0.0", "1.1.0"))

	// The canary cluster's DestinationRules cannot be read: shift-weight
	// fails before it writes anything, the canaries keep 20%.
	writes(http.MethodGet, "destinationrules")
	failing("shift-weight", v2, shiftTo(50))
	check("shift-weight failing in the canary cluster", split("cart", 20, "1.0.0", "1.1.0"), split("web", 20, "1.0.0", "1.1.0"))
	healthy()
	do(t, f, v2, "shift-weight", kc, shiftTo(50))
	check("re-running shift-weight", split("cart", 50, "1.0.0", "1.1.0"), split("web", 50, "1.0.0", "1.1.0"))

	// Removing the canary's ingress objects fails after the new version
	// was rolled out in the release cluster and all traffic moved there.
	writes(http.MethodDelete, "gateways")
	failing("promote", v2, promoteKeeping(1))
	check("promote failing in the canary cluster", split("cart", 0, "1.1.0", ""), split("web", 0, "1.1.0", ""))
	healthy()
	do(t, f, v2, "promote", kc, promoteKeeping(1))
	check("re-running promote", split("cart", 0, "1.1.0", ""), split("web", 0, "1.1.0", ""))
	objs := remoteObjects(t, f)
	for _, s := range []string{"cart", "web"} {
		for _, key := range []string{gw + "/shop/serviceentry/aviary-remote-" + s + "-canary", can + "/shop/gateway/aviary-remote-" + s + "-canary"} {
			if objs[key] {
				t.Errorf("after re-running promote, %s is still there", key)
			}
		}
	}
}

// TestSeparateSwitchFaults breaks the passive cluster's API server during
// a blue-green-clusters switch across separate meshes: its DestinationRule
// (the subset its ingress routes to) cannot be written, so the switch
// fails as an external error naming that cluster before any route moves —
// each cluster's istiod still sends its clients to the release cluster —
// and a re-run with the cluster healthy switches.
func TestSeparateSwitchFaults(t *testing.T) {
	rel, can := canarytest.ReleaseCluster, canarytest.CanaryCluster
	layout := canarytest.Separate(canarytest.BlueGreenClusters("shop"), map[string]string{rel: releaseIngressIP + ":8080", can: canaryIngressIP + ":8080"})
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	m := f.WithSeparateMeshes(t, 8080)
	svcs := []canarytest.Service{{Name: "cart"}, {Name: "web"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, nil)
	proxy, kc := f.Proxied(t, can)
	check := func(after, serving, version string) {
		t.Helper()
		for _, from := range []string{rel, can} {
			m.From(from)(context.Background(), t, after, servedBy(from, serving, version, "cart", "web"))
		}
	}

	do(t, f, v1, "rebuild-cluster", kc, rebuildOp("active", true))
	check("serving from the release cluster", rel, "1.0.0")
	proxy.SetPlan(func(_ int, r *http.Request) faultproxy.Fault {
		if (r.Method == http.MethodPut || r.Method == http.MethodPost) && strings.Contains(r.URL.Path, "/destinationrules") {
			return faultproxy.Status5xx
		}
		return faultproxy.None
	})
	ctx, o := open(t, f, v2, "rebuild-cluster", kc)
	_, err := rebuildOp(can, true)(ctx, o.Env, o)
	o.Close(ctx)
	if outcome.KindOf(err) != outcome.KindExternal || !strings.Contains(err.Error(), "in cluster "+can+": ") {
		t.Fatalf("switching with the passive cluster failing = %v, want an external error naming cluster %s", err, can)
	}
	t.Logf("switching with the passive cluster failing: %v", err)
	check("a switch failing in the passive cluster", rel, "1.0.0")
	proxy.SetPlan(func(int, *http.Request) faultproxy.Fault { return faultproxy.None })
	do(t, f, v2, "rebuild-cluster", kc, rebuildOp(can, true))
	check("re-running the switch", can, "1.1.0")
}
