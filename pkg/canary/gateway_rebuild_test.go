package canary_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

// TestGatewayRoutedRebuild closes a gateway-routed-clusters release by
// rebuilding the release cluster from the plan in place, on three real
// control planes, as one mesh and across separate meshes. A rebuild with a
// canary in flight is refused before anything is applied; after promote,
// the rebuild (run twice, the second changing nothing) brings every
// service of the plan to its version in the release cluster — the
// service whose content had not changed too — keeps the version each
// replaced passive, records it, and leaves the canary cluster empty. A
// rebuild whose new Deployment never becomes ready moves no route. After
// every step the gateway cluster's istiod is asked, as its ingress gateway,
// where each service's traffic goes: the release cluster's pods of the
// version (one mesh) or its ingress address (separate meshes).
func TestGatewayRoutedRebuild(t *testing.T) {
	for _, separate := range []bool{false, true} {
		name := "one mesh"
		if separate {
			name = "separate meshes"
		}
		t.Run(name, func(t *testing.T) { gatewayRoutedRebuild(t, separate) })
	}
}

func gatewayRoutedRebuild(t *testing.T, separate bool) {
	rel, can, gw := canarytest.ReleaseCluster, canarytest.CanaryCluster, canarytest.GatewayCluster
	layout := canarytest.GatewayRoutedClusters("shop")
	if separate {
		layout = canarytest.Separate(layout, map[string]string{rel: releaseIngressIP + ":8080", can: canaryIngressIP + ":8080"})
	}
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	edgeGateway(t, f)
	var check func(after string, want ...canarytest.Expect)
	serves := func(service, version string) canarytest.Expect {
		return canarytest.ServesIn(service, rel, "shop", version)
	}
	if separate {
		m := f.WithSeparateMeshes(t, 8080)
		check = func(after string, want ...canarytest.Expect) {
			t.Helper()
			m.ViaGateway(gw)(context.Background(), t, after, want)
		}
		serves = func(service, version string) canarytest.Expect {
			return canarytest.Expect{Service: service, Shares: []canarytest.Share{canarytest.Remote(100, rel, "shop", version, releaseIngressIP)}}
		}
	} else {
		istiods := f.WithMeshIstiods(t, gw)
		f.WithIngressProbe(t, istiods[0])
		check = func(after string, want ...canarytest.Expect) {
			t.Helper()
			f.Check(t, after, want...)
		}
	}
	svcs := []canarytest.Service{{Name: "cart", Replicas: 3}, {Name: "api", Content: "same"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, nil)
	v3 := f.Plan(t, "1.2.0", []canarytest.Service{{Name: "cart", Unschedulable: true}, {Name: "api", Content: "same"}}, nil)
	twice := clusterTwice(t, f)
	rebuild := func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		r, err := canary.Rebuild(ctx, e, o.Plan, canary.RebuildOptions{Passive: "stable", Switch: true, PassiveReplicas: 1})
		return r.Result, err
	}
	has := func(when string, want map[string]string) {
		t.Helper()
		fp := clusterFingerprint(t, f)
		for key, prefix := range want {
			got, ok := fp[key]
			switch {
			case prefix == "" && ok:
				t.Errorf("%s: %s exists, want it gone", when, key)
			case prefix != "" && !hasPrefix(got, prefix):
				t.Errorf("%s: %s = %q, want %s…", when, key, got, prefix)
			}
		}
	}

	twice("first release", v1, "deploy-canary", deployAt(0))
	twice("deploy 1.1.0", v2, "deploy-canary", deployAt(10))
	ctx, o := open(t, f, v2, "rebuild-cluster", f.AdminKubeconfig)
	_, err := rebuild(ctx, o.Env, o)
	o.Close(ctx)
	if outcome.KindOf(err) != outcome.KindInvalid || !strings.Contains(err.Error(), "cart (canary 1.1.0 at 10%)") {
		t.Fatalf("rebuilding with a canary in flight = %v, want an Invalid refusal naming cart's canary", err)
	}
	twice("promote", v2, "promote", promoteKeeping(1))
	check("promote", serves("cart", "1.1.0"), serves("api", "1.0.0"))

	twice("rebuild the release cluster", v2, "rebuild-cluster", rebuild)
	check("rebuilding the release cluster", serves("cart", "1.1.0"), serves("api", "1.1.0"))
	home := gw + "/shop"
	has("after the rebuild", map[string]string{
		rel + "/shop/deployment/cart-v1-1-0": "replicas=3 ",
		rel + "/shop/deployment/cart-v1-0-0": "replicas=1 ",
		rel + "/shop/deployment/api-v1-1-0":  "replicas=2 ",
		rel + "/shop/deployment/api-v1-0-0":  "replicas=1 ",
		can + "/shop/deployment/cart-v1-1-0": "",
		can + "/shop/deployment/api-v1-1-0":  "",
		home + "/record/aviary-record-api":   "phase=stable,plan=",
	})
	if fp := clusterFingerprint(t, f)[home+"/record/aviary-record-api"]; !strings.Contains(fp, "previous=1.0.0") || !strings.Contains(fp, "stable=1.1.0") {
		t.Errorf("api's record after the rebuild = %q, want stable 1.1.0, previous 1.0.0", fp)
	}

	// A rebuild whose new Deployment never becomes ready moves no route,
	// not even the ready service's.
	ctx, o = open(t, f, v3, "rebuild-cluster", f.AdminKubeconfig)
	o.Env.Timeout = 3 * time.Second
	_, err = rebuild(ctx, o.Env, o)
	o.Close(ctx)
	if outcome.KindOf(err) != outcome.KindExternal || !strings.Contains(err.Error(), "cart-v1-2-0") || !strings.Contains(err.Error(), "no route was moved") {
		t.Fatalf("rebuilding with a Deployment that never becomes ready = %v, want an External timeout naming it", err)
	}
	check("a rebuild that did not become ready", serves("cart", "1.1.0"), serves("api", "1.1.0"))
}
