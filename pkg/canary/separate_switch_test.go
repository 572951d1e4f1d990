package canary_test

import (
	"context"
	"testing"

	apiv1 "istio.io/api/networking/v1"
	netv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/kube"
)

// The ingress gateway addresses of the release and canary clusters across
// separate meshes (TEST-NET-1: no pod has them).
const (
	releaseIngressIP = "192.0.2.11"
	canaryIngressIP  = "192.0.2.10"
)

var ingressOf = map[string]string{
	canarytest.ReleaseCluster: releaseIngressIP,
	canarytest.CanaryCluster:  canaryIngressIP,
}

func rebuildOp(side string, sw bool) op {
	return func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		r, err := canary.Rebuild(ctx, e, o.Plan, canary.RebuildOptions{Passive: side, Switch: sw})
		return r.Result, err
	}
}

// servedBy expects, from cluster from, all of each service's traffic on
// version in namespace shop of cluster serving: local pods when it is
// from, else serving's ingress gateway address.
func servedBy(from, serving, version string, services ...string) []canarytest.Expect {
	var out []canarytest.Expect
	for _, s := range services {
		share := canarytest.Local(100, serving, "shop", version)
		if from != serving {
			share = canarytest.Remote(100, serving, "shop", version, ingressOf[serving])
		}
		out = append(out, canarytest.Expect{Service: s, Shares: []canarytest.Share{share}})
	}
	return out
}

// TestSeparateBlueGreen switches blue-green-clusters across separate
// meshes (topology.mesh: separate), an istiod per cluster and no remote
// secrets: rebuild-cluster deploys the plan into the passive cluster with
// its ingress gateway's Gateway and VirtualService, then switches, each
// cluster's route moving its weight between its local host and a
// ServiceEntry host resolving to the other cluster's ingress gateway. After
// every switch each cluster's istiod is asked, as a client sidecar there,
// where each service goes (the serving cluster's pods, or the other
// cluster's ingress address), and as the serving cluster's ingress gateway
// where that host goes (the pods of the version switched to). Every run is
// made twice, the second changing nothing.
func TestSeparateBlueGreen(t *testing.T) {
	rel, can := canarytest.ReleaseCluster, canarytest.CanaryCluster
	layout := canarytest.Separate(canarytest.BlueGreenClusters("shop"), map[string]string{rel: releaseIngressIP + ":8080", can: canaryIngressIP + ":8080"})
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	m := f.WithSeparateMeshes(t, 8080)
	svcs := []canarytest.Service{{Name: "cart", Replicas: 3}, {Name: "api"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, nil)
	twice := clusterTwice(t, f)
	check := func(after, serving, version string) {
		t.Helper()
		for _, from := range []string{rel, can} {
			m.From(from)(context.Background(), t, after, servedBy(from, serving, version, "cart", "api"))
		}
	}

	twice("rebuild the passive cluster from 1.0.0 and switch", v1, "rebuild-cluster", rebuildOp(can, true))
	check("switching to the passive cluster", can, "1.0.0")
	twice("rebuild the active cluster from 1.1.0 and switch", v2, "rebuild-cluster", rebuildOp("active", true))
	check("switching back to the active cluster", rel, "1.1.0")
	twice("rebuild the passive cluster from 1.1.0 and switch", v2, "rebuild-cluster", rebuildOp("passive", true))
	check("switching to the passive cluster again", can, "1.1.0")
}

// TestSeparateGatewayRouted runs gateway-routed-clusters across separate
// meshes: the gateway cluster's VirtualService, bound to its ingress
// Gateway and its sidecars, splits each service between two ServiceEntry
// hosts, one per cluster, each resolving to that cluster's ingress
// gateway, where aviary's Gateway and VirtualService route it to the
// stable or canary subset of the service there. After every step the
// gateway cluster's istiod is asked, as its ingress gateway, for the
// weights and the endpoints behind them (the ingress addresses), and each
// other cluster's istiod, as its ingress gateway, where its host goes
// (the pods of the version its share stands for). After promote and
// rollback, the canary cluster's ingress objects and the gateway's
// ServiceEntry to it are gone. Every step runs twice, the second changing
// nothing.
func TestSeparateGatewayRouted(t *testing.T) {
	rel, can, gw := canarytest.ReleaseCluster, canarytest.CanaryCluster, canarytest.GatewayCluster
	layout := canarytest.Separate(canarytest.GatewayRoutedClusters("shop"), map[string]string{rel: releaseIngressIP + ":8080", can: canaryIngressIP + ":8080"})
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	edgeGateway(t, f)
	m := f.WithSeparateMeshes(t, 8080)
	svcs := []canarytest.Service{{Name: "cart", Replicas: 3}, {Name: "api", Content: "same"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, nil)
	v3 := f.Plan(t, "1.2.0", svcs, nil)
	twice := clusterTwice(t, f)
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
	remotes := func(when string, want map[string]bool) {
		t.Helper()
		for key, present := range want {
			if got := remoteObjects(t, f)[key]; got != present {
				t.Errorf("%s: %s exists = %v, want %v", when, key, got, present)
			}
		}
	}

	twice("first release", v1, "deploy-canary", deployAt(0))
	check("the first release", split("cart", 0, "1.0.0", ""), split("api", 0, "1.0.0", ""))
	twice("deploy 1.1.0", v2, "deploy-canary", deployAt(10))
	check("deploying 1.1.0 at 10%", split("cart", 10, "1.0.0", "1.1.0"), split("api", 0, "1.0.0", ""))
	remotes("deploying 1.1.0", map[string]bool{
		gw + "/shop/serviceentry/aviary-remote-cart-canary":    true,
		can + "/shop/gateway/aviary-remote-cart-canary":        true,
		can + "/shop/virtualservice/aviary-remote-cart-canary": true,
		rel + "/shop/gateway/aviary-remote-cart-stable":        true,
	})
	twice("shift", v2, "shift-weight", shiftTo(50))
	check("shifting to 50%", split("cart", 50, "1.0.0", "1.1.0"), split("api", 0, "1.0.0", ""))
	twice("promote", v2, "promote", promoteKeeping(1))
	check("promote", split("cart", 0, "1.1.0", ""), split("api", 0, "1.0.0", ""))
	gone := map[string]bool{
		gw + "/shop/serviceentry/aviary-remote-cart-canary":    false,
		can + "/shop/gateway/aviary-remote-cart-canary":        false,
		can + "/shop/virtualservice/aviary-remote-cart-canary": false,
		gw + "/shop/serviceentry/aviary-remote-cart-stable":    true,
		rel + "/shop/virtualservice/aviary-remote-cart-stable": true,
	}
	remotes("after promote", gone)
	twice("rollback", v2, "rollback", rollback)
	check("rollback", split("cart", 0, "1.0.0", ""), split("api", 0, "1.0.0", ""))
	twice("deploy 1.2.0", v3, "deploy-canary", deployAt(20))
	check("deploying 1.2.0 at 20%", split("cart", 20, "1.0.0", "1.2.0"), split("api", 0, "1.0.0", ""))
	twice("rollback of 1.2.0", v3, "rollback", rollback)
	check("rolling 1.2.0 back", split("cart", 0, "1.0.0", ""), split("api", 0, "1.0.0", ""))
	remotes("after rolling 1.2.0 back", gone)
}

// TestSeparateActivePassiveSwitch runs active-passive-canary-namespace
// across separate meshes: the canary half in the active (release)
// cluster, then rebuild-cluster's cluster switch, the route in the active
// cluster moving all traffic to a ServiceEntry host resolving to the
// passive cluster's ingress gateway, which routes it to the rebuilt pods
// there; then the release cluster rebuilt, the next release's canary half
// run in the passive cluster (now serving), its canary namespace reached
// through its ingress too, and the release cluster switched back to.
func TestSeparateActivePassiveSwitch(t *testing.T) {
	rel, can := canarytest.ReleaseCluster, canarytest.CanaryCluster
	layout := canarytest.Separate(canarytest.ActivePassiveCanaryNamespace("shop", "shop-canary"), map[string]string{can: canaryIngressIP + ":8080"})
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	m := f.WithSeparateMeshes(t, 8080)
	svcs := []canarytest.Service{{Name: "cart", Replicas: 3}, {Name: "api", Content: "same"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, nil)
	v3 := f.Plan(t, "1.2.0", svcs, nil)
	twice := clusterTwice(t, f)
	check := func(after string, want ...canarytest.Expect) {
		t.Helper()
		m.From(rel)(context.Background(), t, after, want)
	}

	twice("first release", v1, "deploy-canary", deployAt(0))
	twice("deploy 1.1.0", v2, "deploy-canary", deployAt(30))
	check("deploying 1.1.0 at 30%", canarytest.Splits("cart", 30, "shop", "1.0.0", "shop-canary", "1.1.0"), canarytest.ServesIn("api", rel, "shop", "1.0.0"))
	twice("promote", v2, "promote", promoteKeeping(1))
	check("promote", servedBy(rel, rel, "1.1.0", "cart")[0], canarytest.ServesIn("api", rel, "shop", "1.0.0"))
	twice("switch to the passive cluster", v2, "rebuild-cluster", rebuildOp(can, true))
	check("switching to the passive cluster", servedBy(rel, can, "1.1.0", "cart", "api")...)
	twice("rebuild the release cluster", v2, "rebuild-cluster", rebuildOp("active", false))
	check("rebuilding the release cluster", servedBy(rel, can, "1.1.0", "cart", "api")...)

	// The next release's canary half follows the switch: its canaries run
	// in the passive cluster's canary namespace, reached, like its stable
	// share, through that cluster's ingress.
	split := func(service string, weight int, stable, canaryVersion string) canarytest.Expect {
		e := canarytest.Expect{Service: service}
		if weight < 100 {
			e.Shares = append(e.Shares, canarytest.Remote(100-weight, can, "shop", stable, canaryIngressIP))
		}
		if weight > 0 {
			e.Shares = append(e.Shares, canarytest.Remote(weight, can, "shop-canary", canaryVersion, canaryIngressIP))
		}
		return e
	}
	twice("deploy 1.2.0 after the switch", v3, "deploy-canary", deployAt(20))
	check("deploying 1.2.0 at 20% after the switch", split("cart", 20, "1.1.0", "1.2.0"), split("api", 0, "1.1.0", ""))
	twice("shift after the switch", v3, "shift-weight", shiftTo(50))
	check("shifting to 50% after the switch", split("cart", 50, "1.1.0", "1.2.0"), split("api", 0, "1.1.0", ""))
	twice("promote 1.2.0 after the switch", v3, "promote", promoteKeeping(1))
	check("promoting 1.2.0 after the switch", split("cart", 0, "1.2.0", ""), split("api", 0, "1.1.0", ""))
	if objs := remoteObjects(t, f); objs[rel+"/shop/serviceentry/aviary-remote-cart-canary"] {
		t.Errorf("after promote, the ServiceEntry of cart's canary is still in the release cluster")
	}

	twice("switch back to the release cluster", v3, "rebuild-cluster", rebuildOp("active", true))
	check("switching back to the release cluster", servedBy(rel, rel, "1.2.0", "cart", "api")...)
}

// edgeGateway creates the gateway cluster's ingress Gateway, as its owner
// writes it: the route binds to it beside the sidecars.
func edgeGateway(t *testing.T, f *canarytest.Fixture) {
	t.Helper()
	gw := &netv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: canarytest.IngressGateway, Namespace: "shop"}}
	gw.Spec.Selector = map[string]string{"istio": "ingressgateway"}
	gw.Spec.Servers = []*apiv1.Server{{Port: &apiv1.Port{Number: 80, Name: "http", Protocol: "HTTP"}, Hosts: []string{"*"}}}
	if _, err := canarytest.IstioClient(t, admin(t, f)).NetworkingV1().Gateways("shop").Create(context.Background(), gw, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// remoteObjects are the ServiceEntries, Gateways and VirtualServices of
// namespace shop in every cluster, as <cluster>/shop/<kind>/<name>.
func remoteObjects(t *testing.T, f *canarytest.Fixture) map[string]bool {
	t.Helper()
	ctx := context.Background()
	out := map[string]bool{}
	for _, name := range f.Layout.Clusters {
		ic := canarytest.IstioClient(t, clientsOf(t, f, name))
		ses, err := ic.NetworkingV1().ServiceEntries("shop").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range ses.Items {
			out[name+"/shop/serviceentry/"+o.Name] = true
		}
		gws, err := ic.NetworkingV1().Gateways("shop").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range gws.Items {
			out[name+"/shop/gateway/"+o.Name] = true
		}
		vss, err := ic.NetworkingV1().VirtualServices("shop").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range vss.Items {
			out[name+"/shop/virtualservice/"+o.Name] = true
		}
	}
	return out
}

// clientsOf returns admin clients of the fixture's cluster name.
func clientsOf(t *testing.T, f *canarytest.Fixture, name string) *kube.Clients {
	t.Helper()
	c, err := kube.Connect(context.Background(), kube.Options{Kubeconfig: f.In(name).Kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
