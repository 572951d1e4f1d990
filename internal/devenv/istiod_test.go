package devenv_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

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

// TestIstiodMultiCluster runs istiod for one cluster with a remote secret
// for another, splits cart 75/25 between the clusters with cluster subsets
// (topology.istio.io/cluster: <cluster ID>), and checks through xDS that
// a sidecar in the first cluster gets those weights and, behind each
// subset, only that cluster's pods.
func TestIstiodMultiCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two Kubernetes control planes and istiod")
	}
	start := time.Now()
	clusters := devenv.StartClusters(t, 2, devenv.ClusterOptions{ClusterID: "mesh"})
	t.Logf("two clusters ready in %s", time.Since(start).Round(10*time.Millisecond))
	one, two := clusters[0], clusters[1]
	if one.ClusterID != "mesh-1" || two.ClusterID != "mesh-2" {
		t.Fatalf("cluster IDs = %q, %q; want mesh-1, mesh-2", one.ClusterID, two.ClusterID)
	}
	if one.PodCIDR == two.PodCIDR {
		t.Fatalf("both clusters give pods IPs from %s, want a range each", one.PodCIDR)
	}

	ctx := context.Background()
	for _, c := range clusters {
		runCart(t, c, "shop", 2)
	}
	ips := map[*devenv.Cluster][]string{}
	for _, c := range clusters {
		ips[c] = waitPodIPs(t, c, "shop", "app=cart", 2)
		prefix := netip.MustParsePrefix(c.PodCIDR)
		for _, ip := range ips[c] {
			if !prefix.Contains(netip.MustParseAddr(ip)) {
				t.Errorf("pod IP %s of %s is outside its pod range %s", ip, c.Name, c.PodCIDR)
			}
		}
	}

	start = time.Now()
	istiod := devenv.StartIstiod(t, one, devenv.IstiodOptions{Remotes: []*devenv.Cluster{two}})
	t.Logf("istiod ready with both clusters synced in %s (%s since its start)", time.Since(start).Round(10*time.Millisecond), istiod.Ready.Round(10*time.Millisecond))

	istio, err := istioclient.NewForConfig(one.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	dr := &netv1.DestinationRule{ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: "shop"}}
	dr.Spec.Host = "cart"
	dr.Spec.Subsets = []*apiv1.Subset{
		{Name: "stable", Labels: map[string]string{"topology.istio.io/cluster": one.ClusterID}},
		{Name: "canary", Labels: map[string]string{"topology.istio.io/cluster": two.ClusterID}},
	}
	if _, err := istio.NetworkingV1().DestinationRules("shop").Create(ctx, dr, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	vs := &netv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: "shop"}}
	vs.Spec.Hosts = []string{"cart"}
	vs.Spec.Http = []*apiv1.HTTPRoute{{Name: "aviary-cart", Route: []*apiv1.HTTPRouteDestination{
		{Destination: &apiv1.Destination{Host: "cart", Subset: "stable"}, Weight: 75},
		{Destination: &apiv1.Destination{Host: "cart", Subset: "canary"}, Weight: 25},
	}}}
	if _, err := istio.NetworkingV1().VirtualServices("shop").Create(ctx, vs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	probe, err := xdsprobe.New(ctx, xdsprobe.Options{
		GRPCAddr: istiod.GRPCAddr, DebugAddr: istiod.HTTPAddr,
		Node: xdsprobe.Sidecar("shop", one.ClusterID),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	start = time.Now()
	got, err := probe.WaitSplit(ctx, "cart.shop.svc.cluster.local", 80, map[string]xdsprobe.Share{
		"stable": {Weight: 75, IPs: ips[one]},
		"canary": {Weight: 25, IPs: ips[two]},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("istiod sends %s, %s after the VirtualService was written", got, time.Since(start).Round(time.Millisecond))
	if got.Route != "aviary-cart" {
		t.Errorf("route name = %q, want the VirtualService's aviary-cart", got.Route)
	}

	// The endpoints say which cluster they are in, as istiod knows it.
	for subset, c := range map[string]*devenv.Cluster{"stable": one, "canary": two} {
		eps, err := probe.Endpoints(ctx, got.Clusters[subset])
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range eps {
			if e.ClusterID != c.ClusterID {
				t.Errorf("endpoint %s of %s is in cluster %q, want %q", e.IP, subset, e.ClusterID, c.ClusterID)
			}
		}
	}
}

// runCart runs a Deployment "cart" of replicas pods and a Service "cart"
// (port 80 to 8080) in namespace of c.
func runCart(t *testing.T, c *devenv.Cluster, namespace string, replicas int32) {
	t.Helper()
	ctx := context.Background()
	if err := c.EnsureNamespace(ctx, namespace); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": "cart"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: namespace},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "cart", Image: "example.com/cart:1", Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
				}}},
			},
		},
	}
	if _, err := c.Client().AppsV1().Deployments(namespace).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating Deployment cart in %s: %v", c.Name, err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: namespace},
		Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{
			Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080),
		}}},
	}
	if _, err := c.Client().CoreV1().Services(namespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating Service cart in %s: %v", c.Name, err)
	}
}

// waitPodIPs waits until n pods match selector and returns their IPs.
func waitPodIPs(t *testing.T, c *devenv.Cluster, namespace, selector string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ips, err := c.PodIPs(context.Background(), namespace, selector)
		if err != nil {
			t.Fatal(err)
		}
		if len(ips) == n {
			return ips
		}
		if time.Now().After(deadline) {
			t.Fatalf("PodIPs(%s, %s) in %s after 60s = %v, want %d", namespace, selector, c.Name, ips, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
