package canary_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	istioclient "istio.io/client-go/pkg/clientset/versioned"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/internal/xdsprobe"
	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
)

// TestRoutingThroughIstiod runs the single-cluster operations against a
// real istiod and asserts, after each step, what a client sidecar in the
// namespace receives over xDS: the weight of each subset of cart's route
// and the pod IPs behind each (stable's = the stable Deployment's pods,
// canary's = the canary's). api never changes and stays whole on stable.
//
// first release 1.0.0 → deploy 1.1.0 at 0% → 10% → 50% → promote → rollback.
func TestRoutingThroughIstiod(t *testing.T) {
	f := canarytest.Start(t, "shop")
	istiod := devenv.StartIstiod(t, f.Cluster, devenv.IstiodOptions{})
	t.Logf("istiod ready in %s", istiod.Ready.Round(time.Millisecond))
	ctx := context.Background()
	probe, err := xdsprobe.New(ctx, xdsprobe.Options{
		GRPCAddr:  istiod.GRPCAddr,
		DebugAddr: istiod.HTTPAddr,
		Node:      xdsprobe.Sidecar(f.Namespace, istiod.ClusterID),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()

	services := []canarytest.Service{{Name: "cart", Replicas: 3}, {Name: "api", Content: "same"}}
	v1 := f.Plan(t, "1.0.0", services, nil)
	v2 := f.Plan(t, "1.1.0", services, nil)
	cart := "cart." + f.Namespace + ".svc.cluster.local"
	api := "api." + f.Namespace + ".svc.cluster.local"
	pods := func(service, version string) []string {
		t.Helper()
		ips, err := f.Cluster.PodIPs(ctx, f.Namespace, canary.LabelService+"="+service+","+canary.LabelVersion+"="+canary.VersionValue(version))
		if err != nil {
			t.Fatal(err)
		}
		return ips
	}
	// expect waits until istiod sends want for host, and logs how long
	// that took after the step returned.
	expect := func(step, host string, want map[string]xdsprobe.Share) {
		t.Helper()
		start := time.Now()
		got, err := probe.WaitSplit(ctx, host, 80, want)
		if err != nil {
			t.Fatalf("after %s: %v", step, err)
		}
		t.Logf("after %s, istiod sends %s (%s later)", step, got, time.Since(start).Round(time.Millisecond))
	}

	istiodStep(t, v1, f, "deploy-canary", func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Deploy(ctx, e, o.Plan, canary.DeployOptions{})
	})
	expect("the first release", cart, map[string]xdsprobe.Share{"stable": {Weight: 100, IPs: pods("cart", "1.0.0")}})
	expect("the first release", api, map[string]xdsprobe.Share{"stable": {Weight: 100, IPs: pods("api", "1.0.0")}})

	istiodStep(t, v2, f, "deploy-canary", func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Deploy(ctx, e, o.Plan, canary.DeployOptions{InitialWeight: 0})
	})
	// The route names canary at weight 0; istiod leaves a weight-0
	// destination out of what it sends Envoy. The split looks as before,
	// so first make sure istiod holds the route as deploy-canary left it.
	istio, err := istioclient.NewForConfig(f.Cluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	written, err := istio.NetworkingV1().VirtualServices(f.Namespace).Get(ctx, "cart", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := probe.WaitConfig(ctx, "VirtualService", f.Namespace, "cart", written.ResourceVersion); err != nil {
		t.Fatal(err)
	}
	expect("deploying 1.1.0 at 0%", cart, map[string]xdsprobe.Share{"stable": {Weight: 100, IPs: pods("cart", "1.0.0")}})
	canaryIPs := pods("cart", "1.1.0")
	if len(canaryIPs) != 3 {
		t.Fatalf("canary pods of cart = %v, want 3", canaryIPs)
	}
	if eps, err := probe.WaitEndpoints(ctx, xdsprobe.OutboundCluster(cart, 80, "canary"), canaryIPs); err != nil {
		t.Errorf("after deploying 1.1.0 at 0%%, the canary subset's endpoints: %v (%v)", err, eps)
	}

	for _, w := range []int{10, 50} {
		istiodStep(t, v2, f, "shift-weight", func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
			return canary.Shift(ctx, e, o.Plan, canary.ShiftOptions{Weight: w})
		})
		expect("shifting to "+strconv.Itoa(w)+"%", cart, map[string]xdsprobe.Share{
			"stable": {Weight: 100 - w, IPs: pods("cart", "1.0.0")},
			"canary": {Weight: w, IPs: canaryIPs},
		})
		expect("shifting to "+strconv.Itoa(w)+"%", api, map[string]xdsprobe.Share{"stable": {Weight: 100, IPs: pods("api", "1.0.0")}})
	}

	istiodStep(t, v2, f, "promote", func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Promote(ctx, e, o.Plan, canary.PromoteOptions{PassiveReplicas: 1})
	})
	// Stable is now 1.1.0's pods; 1.0.0's passive replica serves nothing.
	expect("promote", cart, map[string]xdsprobe.Share{"stable": {Weight: 100, IPs: canaryIPs}})
	if passive := pods("cart", "1.0.0"); len(passive) != 1 {
		t.Errorf("after promote, cart 1.0.0 pods = %v, want one passive replica", passive)
	}

	istiodStep(t, v2, f, "rollback", func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Rollback(ctx, e, o.Plan)
	})
	// Back to 1.0.0, scaled up again; 1.1.0 scaled to zero.
	stable := pods("cart", "1.0.0")
	if len(stable) != 3 {
		t.Errorf("after rollback, cart 1.0.0 pods = %v, want 3", stable)
	}
	expect("rollback", cart, map[string]xdsprobe.Share{"stable": {Weight: 100, IPs: stable}})
	expect("rollback", api, map[string]xdsprobe.Share{"stable": {Weight: 100, IPs: pods("api", "1.0.0")}})
}

// istiodStep runs one operation the way its step would (plan read,
// namespace locked), with the admin kubeconfig.
func istiodStep(t *testing.T, rel canarytest.Release, f *canarytest.Fixture, step string, op func(context.Context, *canary.Env, *canary.Opened) (canary.Result, error)) {
	t.Helper()
	ctx, o, err := canary.Open(context.Background(), canary.Target{
		Step: step, Plan: rel.Ref, Kubeconfig: f.Cluster.Kubeconfig, Holder: "istiod-" + step,
		LockTTL: time.Minute, Timeout: time.Minute,
	}, nil)
	if err != nil {
		t.Fatalf("opening %s for %s: %v", rel.Version, step, err)
	}
	defer o.Close(ctx)
	if _, err := op(ctx, o.Env, o); err != nil {
		t.Fatalf("%s %s: %v", step, rel.Version, err)
	}
}
