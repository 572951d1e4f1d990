package canary_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	apiv1 "istio.io/api/networking/v1"
	netv1 "istio.io/client-go/pkg/apis/networking/v1"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/internal/faultproxy"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/kube"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

// TestClusterCanaries walks three releases through the topologies whose
// canaries run in a cluster of their own, on real control planes joined in
// one mesh by cluster subsets (delta and rebuilt: each step with only its
// Roles of examples/rbac/delta-canary-cluster, in each cluster): first release → deploy 1.1.0 → 10% → 50% →
// promote → rollback, then 1.2.0 deployed at 20% and rolled back before
// promotion. Every step runs twice, the second run changing nothing. After
// every step a real istiod of the cluster that decides the traffic, with a
// remote secret for each other cluster, is asked over xDS what a client
// sidecar there receives: each weight and the pod IPs behind it, which
// come from the cluster the step should have put that version in.
func TestClusterCanaries(t *testing.T) {
	for _, layout := range []canarytest.Layout{
		canarytest.DeltaCanaryCluster("shop"),
		canarytest.RebuiltCanaryCluster("shop"),
		canarytest.GatewayRoutedClusters("shop"),
	} {
		t.Run(layout.Name, func(t *testing.T) { clusterCanaries(t, layout) })
	}
}

func clusterCanaries(t *testing.T, layout canarytest.Layout) {
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	if layout.Topology.Kind == config.GatewayRoutedClusters {
		// The gateway cluster's ingress Gateway, as its owner writes it:
		// the route binds to it beside the sidecars.
		gw := &netv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: canarytest.IngressGateway, Namespace: "shop"}}
		gw.Spec.Selector = map[string]string{"istio": "ingressgateway"}
		gw.Spec.Servers = []*apiv1.Server{{Port: &apiv1.Port{Number: 80, Name: "http", Protocol: "HTTP"}, Hosts: []string{"*"}}}
		ic, err := istioclient.NewForConfig(f.Cluster.RESTConfig())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ic.NetworkingV1().Gateways("shop").Create(context.Background(), gw, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	istiods := f.WithMeshIstiods(t, layout.Clusters[0])
	if layout.Topology.Kind == config.GatewayRoutedClusters {
		f.WithIngressProbe(t, istiods[0])
	}
	const ns = "shop"
	rel, can := canarytest.ReleaseCluster, canarytest.CanaryCluster
	svcs := []canarytest.Service{{Name: "cart", Replicas: 3}, {Name: "web"}, {Name: "api", Content: "same"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, nil)
	v3 := f.Plan(t, "1.2.0", svcs, nil)
	var roles map[string]string
	if layout.RolesDir() == string(config.DeltaCanaryCluster) {
		// Each step with only its Roles of examples/rbac, per cluster.
		roles = map[string]string{}
		for _, step := range []string{"deploy-canary", "shift-weight", "promote", "rollback"} {
			roles[step] = f.KubeconfigFor(t, step)
		}
	}
	twice := clusterTwiceAs(t, f, roles)
	hasAll := func(when string, want map[string]string) {
		t.Helper()
		fp := clusterFingerprint(t, f)
		for name, prefix := range want {
			if prefix == "" {
				if _, ok := fp[name]; ok {
					t.Errorf("%s: %s exists, want it gone", when, name)
				}
				continue
			}
			if !hasPrefix(fp[name], prefix) {
				t.Errorf("%s: %s = %q, want %s", when, name, fp[name], prefix)
			}
		}
	}
	home := layout.Clusters[0] + "/" + ns

	twice("first release", v1, "deploy-canary", deployAt(0))
	f.Check(t, "the first release",
		canarytest.ServesIn("cart", rel, ns, "1.0.0"), canarytest.ServesIn("web", rel, ns, "1.0.0"), canarytest.ServesIn("api", rel, ns, "1.0.0"))

	res := twice("deploy 1.1.0", v2, "deploy-canary", deployAt(0))
	if got, want := res.Services(canary.Changed), []string{"cart", "web"}; !cmp.Equal(got, want) {
		t.Errorf("changed services = %v, want %v (api's content did not change)", got, want)
	}
	hasAll("after deploying 1.1.0", map[string]string{
		rel + "/" + ns + "/deployment/cart-v1-0-0":    "replicas=3",
		can + "/" + ns + "/deployment/cart-v1-1-0":    "replicas=3",
		can + "/" + ns + "/deployment/api-v1-1-0":     "",
		can + "/" + ns + "/deployment/api-v1-0-0":     "",
		home + "/record/aviary-record-cart":           "canary=1.1.0,phase=canary,plan=",
		home + "/virtualservice/cart":                 "{",
		rel + "/" + ns + "/deployment/cart-v1-1-0":    "",
		can + "/" + ns + "/service/cart":              "selector=app:cart",
		can + "/" + ns + "/virtualservice/cart":       "",
		can + "/" + ns + "/destinationrule/cart":      "",
		can + "/" + ns + "/record/aviary-record-cart": "",
	})
	f.Check(t, "deploying 1.1.0 at 0%",
		canarytest.ServesIn("cart", rel, ns, "1.0.0"), canarytest.ServesIn("web", rel, ns, "1.0.0"), canarytest.ServesIn("api", rel, ns, "1.0.0"))

	for _, w := range []int{10, 50} {
		twice("shift", v2, "shift-weight", shiftTo(w))
		f.Check(t, "shifting to "+itoa(w)+"%",
			canarytest.SplitsAcross("cart", w, ns, rel, "1.0.0", can, "1.1.0"),
			canarytest.SplitsAcross("web", w, ns, rel, "1.0.0", can, "1.1.0"),
			canarytest.ServesIn("api", rel, ns, "1.0.0"))
	}

	twice("promote", v2, "promote", promoteKeeping(1))
	hasAll("after promote", map[string]string{
		rel + "/" + ns + "/deployment/cart-v1-1-0": "replicas=3 ",
		rel + "/" + ns + "/deployment/cart-v1-0-0": "replicas=1 ",
		rel + "/" + ns + "/deployment/api-v1-0-0":  "replicas=2 ",
		can + "/" + ns + "/deployment/cart-v1-1-0": "",
		can + "/" + ns + "/deployment/web-v1-1-0":  "",
		home + "/record/aviary-record-cart":        "phase=promoted,plan=",
	})
	f.Check(t, "promote",
		canarytest.ServesIn("cart", rel, ns, "1.1.0"), canarytest.ServesIn("web", rel, ns, "1.1.0"), canarytest.ServesIn("api", rel, ns, "1.0.0"))

	res = twice("rollback", v2, "rollback", rollback)
	if got, want := res.Services(canary.RolledBack), []string{"cart", "web"}; !cmp.Equal(got, want) {
		t.Errorf("rolled back = %v, want %v", got, want)
	}
	hasAll("after rollback", map[string]string{
		rel + "/" + ns + "/deployment/cart-v1-0-0": "replicas=3 ",
		rel + "/" + ns + "/deployment/cart-v1-1-0": "replicas=0 ",
	})
	f.Check(t, "rollback",
		canarytest.ServesIn("cart", rel, ns, "1.0.0"), canarytest.ServesIn("web", rel, ns, "1.0.0"), canarytest.ServesIn("api", rel, ns, "1.0.0"))

	twice("deploy 1.2.0", v3, "deploy-canary", deployAt(20))
	f.Check(t, "deploying 1.2.0 at 20%",
		canarytest.SplitsAcross("cart", 20, ns, rel, "1.0.0", can, "1.2.0"),
		canarytest.SplitsAcross("web", 20, ns, rel, "1.0.0", can, "1.2.0"),
		canarytest.ServesIn("api", rel, ns, "1.0.0"))
	twice("rollback of 1.2.0", v3, "rollback", rollback)
	hasAll("after rolling 1.2.0 back", map[string]string{
		can + "/" + ns + "/deployment/cart-v1-2-0": "",
		rel + "/" + ns + "/deployment/cart-v1-0-0": "replicas=3 ",
	})
	f.Check(t, "rolling 1.2.0 back",
		canarytest.ServesIn("cart", rel, ns, "1.0.0"), canarytest.ServesIn("web", rel, ns, "1.0.0"), canarytest.ServesIn("api", rel, ns, "1.0.0"))
}

// clusterTwice runs a step's operation twice with the admin kubeconfig of
// every cluster, and fails the test if the second run changed any cluster
// or reported other versions or weights.
func clusterTwice(t *testing.T, f *canarytest.Fixture) func(string, canarytest.Release, string, op) canary.Result {
	return clusterTwiceAs(t, f, nil)
}

// clusterTwiceAs is clusterTwice with the kubeconfig of each step in
// kubeconfigs, the admin one for a step it lacks.
func clusterTwiceAs(t *testing.T, f *canarytest.Fixture, kubeconfigs map[string]string) func(string, canarytest.Release, string, op) canary.Result {
	return func(name string, r canarytest.Release, step string, fn op) canary.Result {
		t.Helper()
		kc := f.AdminKubeconfig
		if k, ok := kubeconfigs[step]; ok {
			kc = k
		}
		res := do(t, f, r, step, kc, fn)
		after := clusterFingerprint(t, f)
		again := do(t, f, r, step, kc, fn)
		if diff := cmp.Diff(after, clusterFingerprint(t, f)); diff != "" {
			t.Errorf("%s: running %s a second time changed the clusters (-first +second):\n%s", name, step, diff)
		}
		if diff := cmp.Diff(res.Rows, again.Rows, cmpopts.IgnoreFields(canary.Row{}, "Status", "Note")); diff != "" {
			t.Errorf("%s: running %s a second time reports other versions or weights (-first +second):\n%s", name, step, diff)
		}
		return res
	}
}

// clusterFingerprint is fingerprint over every cluster of the fixture,
// each key prefixed with the cluster's context, plus each Service's
// selector.
func clusterFingerprint(t *testing.T, f *canarytest.Fixture) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range f.Layout.Clusters {
		c, err := kube.Connect(context.Background(), kube.Options{Kubeconfig: f.In(name).Kubeconfig})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range fingerprint(t, c, f) {
			out[name+"/"+k] = v
		}
		for _, ns := range f.Layout.Namespaces {
			svcs, err := c.Kube.CoreV1().Services(ns).List(context.Background(), metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range svcs.Items {
				sel, _ := json.Marshal(s.Spec.Selector)
				out[name+"/"+ns+"/service/"+s.Name] = "selector=" + trimJSON(string(sel))
			}
		}
	}
	return out
}

// trimJSON turns {"app":"cart"} into app:cart.
func trimJSON(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r != '{' && r != '}' && r != '"' {
			out = append(out, r)
		}
	}
	return string(out)
}

// TestActivePassiveClusterSwitch runs active-passive-canary-namespace on
// two real control planes of one mesh: the canary half in the release
// cluster (canaries in shop-canary beside shop), then, when the release
// closes, rebuild-cluster's cluster switch: the passive cluster rebuilt
// from the plan and switched to, then the release cluster rebuilt too so
// that both are equal. A real istiod of the release cluster (where the
// route lives), with a remote secret for the other, is asked over xDS
// after every step.
func TestActivePassiveClusterSwitch(t *testing.T) {
	layout := canarytest.ActivePassiveCanaryNamespace("shop", "shop-canary")
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	f.WithMeshIstiods(t, canarytest.ReleaseCluster)
	rel, can := canarytest.ReleaseCluster, canarytest.CanaryCluster
	svcs := []canarytest.Service{{Name: "cart", Replicas: 3}, {Name: "api", Content: "same"}}
	v1 := f.Plan(t, "1.0.0", svcs, nil)
	v2 := f.Plan(t, "1.1.0", svcs, nil)
	twice := clusterTwice(t, f)

	twice("first release", v1, "deploy-canary", deployAt(0))
	twice("deploy 1.1.0", v2, "deploy-canary", deployAt(30))
	f.Check(t, "deploying 1.1.0 at 30%", canarytest.Splits("cart", 30, "shop", "1.0.0", "shop-canary", "1.1.0"), canarytest.Serves("api", "shop", "1.0.0"))
	twice("promote", v2, "promote", promoteKeeping(1))
	f.Check(t, "promote", canarytest.ServesIn("cart", rel, "shop", "1.1.0"), canarytest.ServesIn("api", rel, "shop", "1.0.0"))

	rebuild := func(side string, sw bool) op {
		return func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
			r, err := canary.Rebuild(ctx, e, o.Plan, canary.RebuildOptions{Passive: side, Switch: sw})
			return r.Result, err
		}
	}
	rebuildOnce := func(name string, r canarytest.Release, fn op) {
		t.Helper()
		do(t, f, r, "rebuild-cluster", f.AdminKubeconfig, fn)
	}
	rebuildOnce("switch to the passive cluster", v2, rebuild(can, true))
	f.Check(t, "switching to the passive cluster", canarytest.ServesIn("cart", can, "shop", "1.1.0"), canarytest.ServesIn("api", can, "shop", "1.1.0"))
	rebuildOnce("rebuild the release cluster", v2, rebuild("active", false))
	f.Check(t, "rebuilding the release cluster", canarytest.ServesIn("cart", can, "shop", "1.1.0"), canarytest.ServesIn("api", can, "shop", "1.1.0"))
	fp := clusterFingerprint(t, f)
	for _, c := range []string{rel, can} {
		for _, d := range []string{"cart-v1-1-0", "api-v1-1-0"} {
			if _, ok := fp[c+"/shop/deployment/"+d]; !ok {
				t.Errorf("after both rebuilds, %s has no Deployment %s", c, d)
			}
		}
		if _, ok := fp[c+"/shop/deployment/cart-v1-0-0"]; ok {
			t.Errorf("after both rebuilds, %s still runs cart 1.0.0", c)
		}
	}
}

// TestClusterFaults breaks the canary cluster's API server halfway through
// steps that write to both clusters of delta-canary-cluster (a fault proxy
// answers 503 to its writes of one kind), and checks that the step fails
// as an external error naming that cluster, that no traffic ever goes to a
// side that is not ready, and that a re-run with the cluster healthy again
// converges. It also checks that the release's one lock is a Lease in the
// deciding cluster alone.
func TestClusterFaults(t *testing.T) {
	layout := canarytest.DeltaCanaryCluster("shop")
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	f.WithMeshIstiods(t, canarytest.ReleaseCluster)
	rel, can := canarytest.ReleaseCluster, canarytest.CanaryCluster
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

	do(t, f, v1, "deploy-canary", kc, deployAt(0))
	ctx, o := open(t, f, v2, "deploy-canary", kc)
	for name, c := range f.Clusters {
		leases, err := c.Client().CoordinationV1().Leases("shop").List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{rel: 1, can: 0}[name]; len(leases.Items) != want {
			t.Errorf("while a step runs, cluster %s holds %d Leases in shop, want %d (the lock is in the deciding cluster alone)", name, len(leases.Items), want)
		}
	}
	o.Close(ctx)

	writes(http.MethodPatch, "deployments")
	failing("deploy-canary", v2, deployAt(20))
	f.Check(t, "deploy-canary failing in the canary cluster",
		canarytest.ServesIn("cart", rel, "shop", "1.0.0"), canarytest.ServesIn("web", rel, "shop", "1.0.0"))
	healthy()
	do(t, f, v2, "deploy-canary", kc, deployAt(20))
	f.Check(t, "re-running deploy-canary",
		canarytest.SplitsAcross("cart", 20, "shop", rel, "1.0.0", can, "1.1.0"),
		canarytest.SplitsAcross("web", 20, "shop", rel, "1.0.0", can, "1.1.0"))

	writes(http.MethodDelete, "deployments")
	failing("promote", v2, promoteKeeping(1))
	// The new version was rolled out, ready, in the release cluster before
	// traffic moved to it: only removing the canary cluster's copy failed.
	f.Check(t, "promote failing in the canary cluster",
		canarytest.ServesIn("cart", rel, "shop", "1.1.0"), canarytest.ServesIn("web", rel, "shop", "1.1.0"))
	healthy()
	do(t, f, v2, "promote", kc, promoteKeeping(1))
	fp := clusterFingerprint(t, f)
	for _, d := range []string{"cart-v1-1-0", "web-v1-1-0"} {
		if _, ok := fp[can+"/shop/deployment/"+d]; ok {
			t.Errorf("after re-running promote, the canary cluster still runs %s", d)
		}
		if !hasPrefix(fp[rel+"/shop/deployment/"+d], "replicas=2 ") {
			t.Errorf("after re-running promote, the release cluster's %s = %q, want 2 replicas", d, fp[rel+"/shop/deployment/"+d])
		}
	}
	f.Check(t, "re-running promote",
		canarytest.ServesIn("cart", rel, "shop", "1.1.0"), canarytest.ServesIn("web", rel, "shop", "1.1.0"))
}
