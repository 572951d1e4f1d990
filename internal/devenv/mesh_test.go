package devenv_test

import (
	"context"
	"fmt"
	"math"
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
)

// TestMeshRealRequests runs two versions of cart on a real cluster, splits
// them 80/20 with a DestinationRule and a VirtualService read by a real
// istiod, and sends real gRPC requests through gRPC's xDS resolver: the
// answers per version follow the weights within 5 points over more than
// 1,000 requests, a new weight reaches the requests, a version set to fail
// answers 503s, and a real Prometheus scraping the mesh reports the same
// requests with Istio's labels.
func TestMeshRealRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster, istiod and Prometheus")
	}
	ctx := context.Background()
	// From the pool: TestMeshAcrossClusters borrows it after.
	c := devenv.SharedCluster(t, devenv.ClusterOptions{})
	runVersion(t, c, "shop", "cart", "v1", 2)
	runVersion(t, c, "shop", "cart", "v2", 1)
	waitPodIPs(t, c, "shop", "app=cart", 3)
	ist := devenv.StartIstiod(t, c, devenv.IstiodOptions{Env: []string{"PILOT_DEBOUNCE_AFTER=10ms"}})
	mesh := devenv.StartMesh(t, devenv.MeshOptions{Clusters: []*devenv.Cluster{c}})
	prom := devenv.StartPrometheus(t, mesh.Target)
	istio, err := istioclient.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	dr := &netv1.DestinationRule{ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: "shop"}}
	dr.Spec.Host = "cart"
	dr.Spec.Subsets = []*apiv1.Subset{
		{Name: "stable", Labels: map[string]string{"version": "v1"}},
		{Name: "canary", Labels: map[string]string{"version": "v2"}},
	}
	if _, err := istio.NetworkingV1().DestinationRules("shop").Create(ctx, dr, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	setWeights := func(stable, canary int32) {
		t.Helper()
		vs, err := istio.NetworkingV1().VirtualServices("shop").Get(ctx, "cart", metav1.GetOptions{})
		if err != nil {
			vs = &netv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: "shop"}}
			vs.Spec.Hosts = []string{"cart"}
		}
		vs.Spec.Http = []*apiv1.HTTPRoute{{Name: "aviary-cart", Route: []*apiv1.HTTPRouteDestination{
			{Destination: &apiv1.Destination{Host: "cart", Subset: "stable"}, Weight: stable},
			{Destination: &apiv1.Destination{Host: "cart", Subset: "canary"}, Weight: canary},
		}}}
		if vs.ResourceVersion == "" {
			_, err = istio.NetworkingV1().VirtualServices("shop").Create(ctx, vs, metav1.CreateOptions{})
		} else {
			_, err = istio.NetworkingV1().VirtualServices("shop").Update(ctx, vs, metav1.UpdateOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	setWeights(80, 20)

	const host = "cart.shop.svc.cluster.local"
	if _, err := mesh.Call(devenv.CallerOptions{
		Workload: "frontend", Namespace: "shop", Istiod: ist,
		Calls: []devenv.Call{{Host: host, RPS: 200}},
	}); err != nil {
		t.Fatal(err)
	}

	for _, w := range []int{20, 50} {
		if w != 20 {
			setWeights(int32(100-w), int32(w))
		}
		got := waitSplit(t, mesh, host, map[string]int{"v1": 100 - w, "v2": w}, 1200)
		t.Logf("weights %d/%d: answers %v", 100-w, w, got)
	}

	// Prometheus holds the same requests, with the labels the analysis
	// selects on (pkg/analysis: reporter, namespace, service, version).
	for _, v := range []string{"v1", "v2"} {
		q := fmt.Sprintf(`sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_service_name="cart",destination_version=%q,source_workload="frontend",destination_workload="cart-%s"}[5s]))`, v, v)
		rate := waitQuery(t, prom, q, func(f float64) bool { return f > 50 && f < 150 })
		t.Logf("Prometheus: %s receives %.1f requests/s", v, rate)
	}

	// v2 fails a quarter of its requests with 503s: the clients see them,
	// and the analysis's success-rate query reads about 75%.
	mesh.Set("cart", "v2", devenv.Behaviour{ErrorRatio: 0.25, Latency: 20 * time.Millisecond})
	from := time.Now().Add(200 * time.Millisecond)
	time.Sleep(3 * time.Second)
	received := mesh.Received().Since(from).To(host)
	failed, served := received.Failed(), received.ByVersion()
	if failed["v1"] != 0 {
		t.Errorf("v1 answered %d failures of %d, want none", failed["v1"], served["v1"])
	}
	if share := float64(failed["v2"]) / float64(served["v2"]); share < 0.15 || share > 0.35 {
		t.Errorf("v2 answered %d failures of %d (%.0f%%), want about 25%%", failed["v2"], served["v2"], 100*share)
	}
	// istiod's default retry policy has gRPC retry an UNAVAILABLE answer
	// once, mostly on another pod: fewer failures reach the caller.
	seen := mesh.Answers().Since(from).To(host).Failed()
	t.Logf("v2 answered %d failures of %d; the caller saw %d", failed["v2"], served["v2"], seen["v2"])
	if seen["v2"] >= failed["v2"] {
		t.Errorf("the caller saw %d failures of v2, want fewer than the %d v2 answered (retries)", seen["v2"], failed["v2"])
	}
	sel := `reporter="destination",destination_workload_namespace="shop",destination_service_name="cart",destination_version="v2"`
	q := fmt.Sprintf(`100 * (1 - (sum(rate(istio_requests_total{%[1]s,response_code=~"5.."}[5s])) or vector(0)) / sum(rate(istio_requests_total{%[1]s}[5s])))`, sel)
	rate := waitQuery(t, prom, q, func(f float64) bool { return f > 60 && f < 90 })
	t.Logf("Prometheus: v2's success rate %.1f%%", rate)
	q = fmt.Sprintf(`histogram_quantile(0.5, sum by (le) (rate(istio_request_duration_milliseconds_bucket{%s}[5s])))`, sel)
	p50 := waitQuery(t, prom, q, func(f float64) bool { return f >= 10 && f <= 50 })
	t.Logf("Prometheus: v2's median latency %.1f ms", p50)
	q = `sum(rate(istio_requests_total{reporter="source",source_workload="frontend",destination_version="v2",response_code="503",grpc_response_status="14"}[5s]))`
	waitQuery(t, prom, q, func(f float64) bool { return f > 0 })
}

// waitSplit waits until at least n answers to host, counted from now, split
// between versions as want (percent) within 5 points, and returns the
// counts. It fails the test if the split is off after 30 s.
func waitSplit(t *testing.T, mesh *devenv.Mesh, host string, want map[string]int, n int) map[string]int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		from := time.Now()
		var got map[string]int
		for {
			time.Sleep(250 * time.Millisecond)
			answers := mesh.Answers().Since(from).To(host)
			if len(answers) >= n {
				got = answers.ByVersion()
				break
			}
		}
		if off := splitOff(got, want); off == "" {
			return got
		} else if time.Now().After(deadline) {
			t.Fatalf("answers to %s = %v, want %v%% within 5 points: %s", host, got, want, off)
		}
	}
}

// splitOff says how counts miss the percentages of want by more than 5
// points, or "" if they do not.
func splitOff(counts map[string]int, want map[string]int) string {
	total := 0
	for _, n := range counts {
		total += n
	}
	for v, n := range counts {
		if _, ok := want[v]; !ok && n > 0 {
			return fmt.Sprintf("%d answers from %q", n, v)
		}
	}
	for v, w := range want {
		got := 100 * float64(counts[v]) / float64(total)
		if math.Abs(got-float64(w)) > 5 {
			return fmt.Sprintf("%s has %.1f%%", v, got)
		}
	}
	return ""
}

// waitQuery waits up to 30 s for query to return a value ok accepts.
func waitQuery(t *testing.T, prom *devenv.Prometheus, query string, ok func(float64) bool) float64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, err := prom.Query(context.Background(), query)
		if err == nil && ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus %s = %v (%v) after 30 s", query, v, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// runVersion runs a Deployment "<app>-<version>" of replicas pods labelled
// app and version, and a Service app (gRPC port 80 to 8080) if there is none.
func runVersion(t *testing.T, c *devenv.Cluster, namespace, app, version string, replicas int32) {
	t.Helper()
	ctx := context.Background()
	if err := c.EnsureNamespace(ctx, namespace); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": app, "version": version}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: app + "-" + version, Namespace: namespace},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: app, Image: "example.com/" + app + ":" + version, Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
				}}},
			},
		},
	}
	if _, err := c.Client().AppsV1().Deployments(namespace).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating Deployment %s in %s: %v", dep.Name, c.Name, err)
	}
	grpc := "grpc"
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: app, Namespace: namespace},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": app}, Ports: []corev1.ServicePort{{
			Name: "grpc", AppProtocol: &grpc, Port: 80, TargetPort: intstr.FromInt32(8080),
		}}},
	}
	if _, err := c.Client().CoreV1().Services(namespace).Create(ctx, svc, metav1.CreateOptions{}); err != nil && !isAlreadyExists(err) {
		t.Fatalf("creating Service %s in %s: %v", app, c.Name, err)
	}
}

// TestMeshAcrossClusters: with two clusters in one mesh (istiod of the
// first reading the second through a remote secret) and cart's subsets by
// cluster split 75/25, a frontend in the first cluster gets answers from
// each cluster's pods in that split, over more than 1,000 requests.
func TestMeshAcrossClusters(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two real clusters and istiod")
	}
	ctx := context.Background()
	// StartClusters(t, 2, ...)'s names, from the pool: cluster-1 is the
	// one TestMeshRealRequests gave back.
	clusters := devenv.SharedNamedClusters(t, []string{"cluster-1", "cluster-2"}, devenv.ClusterOptions{})
	one, two := clusters[0], clusters[1]
	for _, c := range clusters {
		runCart(t, c, "shop", 2)
	}
	for _, c := range clusters {
		waitPodIPs(t, c, "shop", "app=cart", 2)
	}
	ist := devenv.StartIstiod(t, one, devenv.IstiodOptions{Remotes: []*devenv.Cluster{two}, Env: []string{"PILOT_DEBOUNCE_AFTER=10ms"}})
	mesh := devenv.StartMesh(t, devenv.MeshOptions{Clusters: clusters})
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
	const host = "cart.shop.svc.cluster.local"
	if _, err := mesh.Call(devenv.CallerOptions{
		Workload: "frontend", Namespace: "shop", Istiod: ist,
		Calls: []devenv.Call{{Host: host, RPS: 200}},
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{one.ClusterID: 75, two.ClusterID: 25}
	deadline := time.Now().Add(30 * time.Second)
	for {
		from := time.Now()
		time.Sleep(6 * time.Second)
		answers := mesh.Answers().Since(from).To(host)
		got := answers.ByCluster()
		off := splitOff(got, want)
		if len(answers) < 1000 {
			off = fmt.Sprintf("only %d answers", len(answers))
		}
		if off == "" {
			t.Logf("answers by cluster: %v", got)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("answers by cluster = %v, want %v%% within 5 points: %s", got, want, off)
		}
	}
}
