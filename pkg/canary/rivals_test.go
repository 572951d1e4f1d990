package canary_test

import (
	"context"
	"strings"
	"testing"

	apiv1 "istio.io/api/networking/v1"
	netv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

// TestOlderVirtualServiceIsRefused: a user's VirtualService, older than
// aviary's and naming the host aviary routes, makes istiod ignore aviary's
// route (it routes a host by its oldest VirtualService; see xdsprobe's
// Shadowed, which shows it against istiod). deploy-canary refuses it
// before writing anything, naming it; once it is gone the release goes on.
func TestOlderVirtualServiceIsRefused(t *testing.T) {
	f := canarytest.Start(t, "shop")
	c := admin(t, f)
	ctx := context.Background()
	vss := canarytest.IstioClient(t, c).NetworkingV1().VirtualServices("shop")
	v1 := f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart"}}, nil)
	rival := &netv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "cart-routes", Namespace: "shop"}}
	rival.Spec.Hosts = []string{"cart"}
	rival.Spec.Http = []*apiv1.HTTPRoute{{Route: []*apiv1.HTTPRouteDestination{{Destination: &apiv1.Destination{Host: "cart"}}}}}
	if _, err := vss.Create(ctx, rival, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	before := fingerprint(t, c, f)
	octx, o := open(t, f, v1, "deploy-canary", f.Cluster.Kubeconfig)
	_, err := canary.Deploy(octx, o.Env, o.Plan, canary.DeployOptions{})
	o.Close(octx)
	if outcome.KindOf(err) != outcome.KindInvalid || err == nil || !strings.Contains(err.Error(), "service cart: VirtualService shop/cart-routes (host cart)") {
		t.Fatalf("deploy-canary beside an older VirtualService for the host = %v, want invalid naming shop/cart-routes", err)
	}
	if after := fingerprint(t, c, f); len(after) != len(before) {
		t.Errorf("deploy-canary wrote before refusing: %d objects before, %d after", len(before), len(after))
	}
	if err := vss.Delete(ctx, "cart-routes", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	do(t, f, v1, "deploy-canary", f.Cluster.Kubeconfig, deployAt(0))
	// A younger VirtualService for the host is the one istiod ignores:
	// aviary's route stands, and shifting goes on.
	rival.ResourceVersion = ""
	if _, err := vss.Create(ctx, rival, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	do(t, f, v1, "shift-weight", f.Cluster.Kubeconfig, shiftTo(0))
}
