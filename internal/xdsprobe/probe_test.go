package xdsprobe_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apiv1 "istio.io/api/networking/v1"
	netv1 "istio.io/client-go/pkg/apis/networking/v1"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/internal/xdsprobe"
)

const cart = "cart.shop.svc.cluster.local"

// TestProbe asks a real istiod, on one cluster running cart v1 (two pods)
// and v2 (one pod), what a sidecar and a gateway receive, and records what
// istiod does with configuration the CRD schema accepts.
func TestProbe(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Kubernetes control plane and istiod")
	}
	c := devenv.StartCluster(t, devenv.ClusterOptions{})
	istiod := devenv.StartIstiod(t, c, devenv.IstiodOptions{})
	t.Logf("istiod ready in %s", istiod.Ready.Round(time.Millisecond))
	ctx := context.Background()
	run(t, c, "v1", 2)
	run(t, c, "v2", 1)
	v1 := waitPods(t, c, "app=cart,version=v1", 2)
	v2 := waitPods(t, c, "app=cart,version=v2", 1)
	all := append(append([]string(nil), v1...), v2...)
	istio, err := istioclient.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	sidecar := probeFor(t, istiod, xdsprobe.Sidecar("shop", istiod.ClusterID))

	t.Run("WithoutVirtualService", func(t *testing.T) {
		got, err := sidecar.WaitSplit(ctx, cart, 80, map[string]xdsprobe.Share{cart: {Weight: 100, IPs: all}})
		if err != nil {
			t.Fatal(err)
		}
		if got.Route != "default" || got.VirtualHost != cart+":80" {
			t.Errorf("Split(%s, 80) route = %q on %q, want default on %s:80", cart, got.Route, got.VirtualHost, cart)
		}
	})

	dr := &netv1.DestinationRule{ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: "shop"}}
	dr.Spec.Host = "cart"
	dr.Spec.Subsets = []*apiv1.Subset{
		{Name: "stable", Labels: map[string]string{"version": "v1"}},
		{Name: "canary", Labels: map[string]string{"version": "v2"}},
	}
	if _, err := istio.NetworkingV1().DestinationRules("shop").Create(ctx, dr, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	vs := &netv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: "shop"}}
	vs.Spec.Hosts = []string{"cart"}
	vs.Spec.Http = []*apiv1.HTTPRoute{route("aviary-cart", 90, 10)}
	vs, err = istio.NetworkingV1().VirtualServices("shop").Create(ctx, vs, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	setWeights := func(t *testing.T, stable, canary int32) {
		t.Helper()
		vs.Spec.Http = []*apiv1.HTTPRoute{route("aviary-cart", stable, canary)}
		if vs, err = istio.NetworkingV1().VirtualServices("shop").Update(ctx, vs, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("Subsets", func(t *testing.T) {
		start := time.Now()
		got, err := sidecar.WaitSplit(ctx, cart, 80, map[string]xdsprobe.Share{
			"stable": {Weight: 90, IPs: v1},
			"canary": {Weight: 10, IPs: v2},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s, %s after the write", got, time.Since(start).Round(time.Millisecond))
		want := map[string]string{"stable": "outbound|80|stable|" + cart, "canary": "outbound|80|canary|" + cart}
		if diff := cmp.Diff(want, got.Clusters); diff != "" {
			t.Errorf("Split(%s, 80) clusters (-want +got):\n%s", cart, diff)
		}
		if got.Route != "aviary-cart" || got.Routes != 1 {
			t.Errorf("Split(%s, 80) route = %q of %d, want aviary-cart alone", cart, got.Route, got.Routes)
		}
		hosts, err := sidecar.Routes(ctx, "80")
		if err != nil {
			t.Fatal(err)
		}
		vh, ok := xdsprobe.VirtualHostFor(hosts, "cart")
		if !ok {
			t.Fatalf("route configuration 80 has no virtual host for the short name cart")
		}
		t.Logf("virtual host %s serves %v", vh.Name, vh.Domains)
	})

	t.Run("WeightZero", func(t *testing.T) {
		// Weight 0 for canary is what deploy-canary writes at 0 %: the
		// schema takes it; istiod leaves the destination out.
		setWeights(t, 100, 0)
		got, err := sidecar.WaitSplit(ctx, cart, 80, map[string]xdsprobe.Share{"stable": {Weight: 100, IPs: v1}})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("stable 100, canary 0 → %s", got)
	})

	t.Run("SecondVirtualServiceForTheHost", func(t *testing.T) {
		// A user's VirtualService for the same host as aviary's: the schema
		// takes both; for a sidecar istiod uses the older one alone and
		// says nothing about the other.
		setWeights(t, 50, 50)
		fifty := map[string]xdsprobe.Share{"stable": {Weight: 50, IPs: v1}, "canary": {Weight: 50, IPs: v2}}
		if _, err := sidecar.WaitSplit(ctx, cart, 80, fifty); err != nil {
			t.Fatal(err)
		}
		user := &netv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "cart-user", Namespace: "shop"}}
		user.Spec.Hosts = []string{cart}
		user.Spec.Http = []*apiv1.HTTPRoute{route("user", 0, 100)}
		if _, err := istio.NetworkingV1().VirtualServices("shop").Create(ctx, user, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := sidecar.WaitConfig(ctx, "VirtualService", "shop", "cart-user", ""); err != nil {
			t.Fatal(err)
		}
		// Newer than aviary's: ignored.
		time.Sleep(time.Second) // past istiod's debounce
		if _, err := sidecar.WaitSplit(ctx, cart, 80, fifty); err != nil {
			t.Fatal(err)
		}

		// Older than aviary's (aviary's made again a second later, as when
		// deploy-canary creates it in a namespace the user already routes):
		// aviary's is ignored, the user's route decides.
		if err := istio.NetworkingV1().VirtualServices("shop").Delete(ctx, "cart", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1100 * time.Millisecond) // creation timestamps have one-second resolution
		again := &netv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: "shop"}}
		again.Spec.Hosts = []string{"cart"}
		again.Spec.Http = []*apiv1.HTTPRoute{route("aviary-cart", 50, 50)}
		if vs, err = istio.NetworkingV1().VirtualServices("shop").Create(ctx, again, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		got, err := sidecar.WaitSplit(ctx, cart, 80, map[string]xdsprobe.Share{"canary": {Weight: 100, IPs: v2}})
		if err != nil {
			t.Fatal(err)
		}
		if got.Route != "user" {
			t.Errorf("Split(%s, 80) route = %q, want the user's route", cart, got.Route)
		}
		conflicts, err := sidecar.Conflicts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("istiod sends %s; its push status records %v", got, conflicts)
		// A Wait for aviary's split reports why it never comes.
		impatient := probeFor(t, istiod, xdsprobe.Sidecar("shop", istiod.ClusterID), func(o *xdsprobe.Options) { o.Timeout = time.Second })
		_, err = impatient.WaitSplit(ctx, cart, 80, fifty)
		want := "VirtualService shop/cart is ignored for " + cart + ": the older VirtualService shop/cart-user routes that host"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("WaitSplit error = %v\nwant it to say %q", err, want)
		}

		if err := istio.NetworkingV1().VirtualServices("shop").Delete(ctx, "cart-user", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := sidecar.WaitSplit(ctx, cart, 80, fifty); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Gateway", func(t *testing.T) {
		gw := &netv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "shop"}}
		gw.Spec.Selector = map[string]string{"istio": "ingressgateway"}
		gw.Spec.Servers = []*apiv1.Server{{
			Port:  &apiv1.Port{Number: 8080, Name: "http", Protocol: "HTTP"},
			Hosts: []string{"shop.example.com"},
		}}
		if _, err := istio.NetworkingV1().Gateways("shop").Create(ctx, gw, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		edge := &netv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "shop-edge", Namespace: "shop"}}
		edge.Spec.Hosts = []string{"shop.example.com"}
		edge.Spec.Gateways = []string{"shop/shop"}
		edge.Spec.Http = []*apiv1.HTTPRoute{route("aviary-cart", 80, 20)}
		if _, err := istio.NetworkingV1().VirtualServices("shop").Create(ctx, edge, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		router := probeFor(t, istiod, xdsprobe.Router("istio-system", istiod.ClusterID, map[string]string{"istio": "ingressgateway"}))
		got, err := router.WaitSplit(ctx, "shop.example.com", 8080, map[string]xdsprobe.Share{
			"stable": {Weight: 80, IPs: v1},
			"canary": {Weight: 20, IPs: v2},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("gateway: %s on %s", got, got.VirtualHost)
		// The sidecar's route is untouched by the gateway's.
		if _, err := sidecar.WaitSplit(ctx, cart, 80, map[string]xdsprobe.Share{"stable": {Weight: 50, IPs: v1}, "canary": {Weight: 50, IPs: v2}}); err != nil {
			t.Error(err)
		}
	})

	t.Run("TimeoutReportsWhatIstiodSent", func(t *testing.T) {
		impatient := probeFor(t, istiod, xdsprobe.Sidecar("shop", istiod.ClusterID), func(o *xdsprobe.Options) { o.Timeout = time.Second })
		_, err := impatient.WaitSplit(ctx, cart, 80, map[string]xdsprobe.Share{"stable": {Weight: 1}})
		if err == nil {
			t.Fatal("WaitSplit for a split istiod never sends = nil, want an error")
		}
		for _, want := range []string{"istiod sent aviary-cart: canary=50", "VirtualService shop/cart ", "DestinationRule shop/cart "} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("WaitSplit error lacks %q:\n%v", want, err)
			}
		}
	})
}

func route(name string, stable, canary int32) *apiv1.HTTPRoute {
	return &apiv1.HTTPRoute{Name: name, Route: []*apiv1.HTTPRouteDestination{
		{Destination: &apiv1.Destination{Host: cart, Subset: "stable"}, Weight: stable},
		{Destination: &apiv1.Destination{Host: cart, Subset: "canary"}, Weight: canary},
	}}
}

func probeFor(t *testing.T, istiod *devenv.Istiod, node xdsprobe.Node, edit ...func(*xdsprobe.Options)) *xdsprobe.Probe {
	t.Helper()
	opts := xdsprobe.Options{GRPCAddr: istiod.GRPCAddr, DebugAddr: istiod.HTTPAddr, Node: node}
	for _, e := range edit {
		e(&opts)
	}
	p, err := xdsprobe.New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// run runs cart-<version>: replicas pods labelled app=cart,version=<version>,
// and (once) the Service cart selecting app=cart.
func run(t *testing.T, c *devenv.Cluster, version string, replicas int32) {
	t.Helper()
	ctx := context.Background()
	if err := c.EnsureNamespace(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": "cart", "version": version}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "cart-" + version, Namespace: "shop"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "cart", Image: "example.com/cart:" + version, Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
				}}},
			},
		},
	}
	if _, err := c.Client().AppsV1().Deployments("shop").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: "shop"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "cart"}, Ports: []corev1.ServicePort{{
			Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080),
		}}},
	}
	if _, err := c.Client().CoreV1().Services("shop").Create(ctx, svc, metav1.CreateOptions{}); err != nil && version == "v1" {
		t.Fatal(err)
	}
}

func waitPods(t *testing.T, c *devenv.Cluster, selector string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ips, err := c.PodIPs(context.Background(), "shop", selector)
		if err != nil {
			t.Fatal(err)
		}
		if len(ips) == n {
			return ips
		}
		if time.Now().After(deadline) {
			t.Fatalf("PodIPs(shop, %s) after 60s = %v, want %d", selector, ips, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
