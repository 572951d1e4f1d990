package istio

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/durationpb"
	apiv1 "istio.io/api/networking/v1"
	netv1 "istio.io/client-go/pkg/apis/networking/v1"
	"istio.io/client-go/pkg/clientset/versioned/fake"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"

	"github.com/aviary-cd/aviary/pkg/traffic"
)

var (
	stable = traffic.Destination{Host: "cart", Subset: "stable"}
	canary = traffic.Destination{Host: "cart", Subset: "canary"}
	svc    = traffic.Service{Namespace: "shop", Name: "cart"}
)

func split(s, c int) []traffic.Weighted {
	return []traffic.Weighted{{Destination: stable, Weight: s}, {Destination: canary, Weight: c}}
}

// userVirtualService is a VirtualService a person wrote: a header-matched
// route to a debug subset first, then aviary's route carrying retries and a
// timeout the person set.
func userVirtualService() *netv1.VirtualService {
	vs := &netv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: "shop", Annotations: map[string]string{"team": "payments"}}}
	vs.Spec.Hosts = []string{"cart"}
	vs.Spec.Http = []*apiv1.HTTPRoute{
		{
			Name:  "debug",
			Match: []*apiv1.HTTPMatchRequest{{Headers: map[string]*apiv1.StringMatch{"x-debug": {MatchType: &apiv1.StringMatch_Exact{Exact: "1"}}}}},
			Route: []*apiv1.HTTPRouteDestination{{Destination: &apiv1.Destination{Host: "cart", Subset: "debug"}}},
		},
		{
			Name:    RouteName("cart"),
			Timeout: durationpb.New(3e9),
			Retries: &apiv1.HTTPRetry{Attempts: 3, RetryOn: "5xx"},
			Route:   []*apiv1.HTTPRouteDestination{{Destination: &apiv1.Destination{Host: "cart", Subset: "stable", Port: &apiv1.PortSelector{Number: 8080}}, Weight: 100}},
		},
	}
	return vs
}

func TestSetRouteKeepsTheUsersContent(t *testing.T) {
	vs := userVirtualService()
	if !SetRoute(vs, "cart", split(90, 10)) {
		t.Fatal("SetRoute(90/10) = false, want a change")
	}
	if got, want := vs.Spec.Http[0].Name, "debug"; got != want {
		t.Errorf("first route = %q, want the user's %q kept first", got, want)
	}
	if got := vs.Spec.Http[0].Match; len(got) != 1 {
		t.Errorf("debug route matches = %v, want the user's match kept", got)
	}
	r := vs.Spec.Http[1]
	if r.Retries.GetAttempts() != 3 || r.Timeout.AsDuration() != 3e9 {
		t.Errorf("aviary route retries/timeout = %v/%v, want the user's 3 attempts and 3s kept", r.Retries, r.Timeout)
	}
	if got := r.Route[0].Destination.Port.GetNumber(); got != 8080 {
		t.Errorf("stable destination port = %d, want the user's 8080 kept", got)
	}
	if got, want := vs.Annotations, map[string]string{"team": "payments"}; !cmp.Equal(got, want) {
		t.Errorf("annotations = %v, want %v", got, want)
	}
	got := RouteOf(vs, "cart")
	want := []traffic.Weighted{
		{Destination: traffic.Destination{Host: "cart", Subset: "stable"}, Weight: 90},
		{Destination: traffic.Destination{Host: "cart", Subset: "canary"}, Weight: 10},
	}
	if diff := cmp.Diff(want, got.Weights); diff != "" {
		t.Errorf("RouteOf weights mismatch (-want +got):\n%s", diff)
	}
	if SetRoute(vs, "cart", split(90, 10)) {
		t.Error("SetRoute with the same weights again = true, want no change")
	}
	if !SetRoute(vs, "cart", split(100, 0)) {
		t.Error("SetRoute(100/0) = false, want a change")
	}
}

func TestSetRouteAppendsItsRouteLast(t *testing.T) {
	vs := userVirtualService()
	vs.Spec.Http = vs.Spec.Http[:1]
	SetRoute(vs, "cart", []traffic.Weighted{{Destination: stable, Weight: 100}})
	if got := len(vs.Spec.Http); got != 2 {
		t.Fatalf("routes = %d, want 2", got)
	}
	if got, want := vs.Spec.Http[1].Name, "aviary-cart"; got != want {
		t.Errorf("appended route = %q, want %q", got, want)
	}
}

func TestRouterCountsWrites(t *testing.T) {
	ctx := context.Background()
	client := fake.NewSimpleClientset(userVirtualService())
	r := New(client)
	for range 3 {
		if err := r.SetWeights(ctx, svc, split(50, 50)); err != nil {
			t.Fatalf("SetWeights: %v", err)
		}
	}
	if got := countVerb(client.Actions(), "update"); got != 1 {
		t.Errorf("updates after three identical SetWeights = %d, want 1", got)
	}
	route, err := r.Weights(ctx, svc)
	if err != nil {
		t.Fatalf("Weights: %v", err)
	}
	if !route.Found || traffic.WeightOf(route.Weights, func(d traffic.Destination) bool { return d.Subset == "canary" }) != 50 {
		t.Errorf("Weights = %+v, want canary at 50", route)
	}
}

func TestRouterCreatesAMissingVirtualService(t *testing.T) {
	ctx := context.Background()
	client := fake.NewSimpleClientset()
	r := New(client)
	full := traffic.Service{Namespace: "shop", Name: "cart", Hosts: []string{"cart.shop.svc.cluster.local"}, Gateways: []string{"mesh", "edge/public"}}
	if err := r.SetWeights(ctx, full, []traffic.Weighted{{Destination: stable, Weight: 100}}); err != nil {
		t.Fatalf("SetWeights: %v", err)
	}
	vs, err := client.NetworkingV1().VirtualServices("shop").Get(ctx, "cart", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("getting the VirtualService: %v", err)
	}
	if got, want := vs.Spec.Hosts, []string{"cart.shop.svc.cluster.local"}; !cmp.Equal(got, want) {
		t.Errorf("hosts = %v, want %v", got, want)
	}
	if got, want := vs.Spec.Gateways, []string{"mesh", "edge/public"}; !cmp.Equal(got, want) {
		t.Errorf("gateways = %v, want %v", got, want)
	}
	if got, want := vs.Spec.ExportTo, []string{"*"}; !cmp.Equal(got, want) {
		t.Errorf("exportTo = %v, want %v", got, want)
	}
	if route, _ := r.Weights(ctx, traffic.Service{Namespace: "shop", Name: "nothing"}); route.Found {
		t.Error("Weights of a missing VirtualService found a route")
	}
}

func TestRouterRetriesConflicts(t *testing.T) {
	ctx := context.Background()
	client := fake.NewSimpleClientset(userVirtualService())
	conflicts := 2
	client.PrependReactor("update", "virtualservices", func(k8stesting.Action) (bool, runtime.Object, error) {
		if conflicts > 0 {
			conflicts--
			return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "networking.istio.io", Resource: "virtualservices"}, "cart", nil)
		}
		return false, nil, nil
	})
	if err := New(client).SetWeights(ctx, svc, split(75, 25)); err != nil {
		t.Fatalf("SetWeights with two conflicts: %v", err)
	}
	if got := countVerb(client.Actions(), "update"); got != 3 {
		t.Errorf("update attempts = %d, want 3 (two conflicts, then success)", got)
	}
}

func TestSetSubsetsKeepsOthers(t *testing.T) {
	dr := &netv1.DestinationRule{}
	dr.Spec.Host = "cart"
	dr.Spec.TrafficPolicy = &apiv1.TrafficPolicy{ConnectionPool: &apiv1.ConnectionPoolSettings{Tcp: &apiv1.ConnectionPoolSettings_TCPSettings{MaxConnections: 7}}}
	dr.Spec.Subsets = []*apiv1.Subset{{Name: "debug", Labels: map[string]string{"debug": "true"}}, {Name: "stable", Labels: map[string]string{"aviary.dev/version": "1.0.0"}}}
	changed := SetSubsets(dr, []traffic.Subset{
		{Name: "stable", Labels: map[string]string{"aviary.dev/version": "1.0.0"}},
		{Name: "canary", Labels: map[string]string{"aviary.dev/version": "1.1.0"}},
	}, nil)
	if !changed {
		t.Fatal("SetSubsets adding canary = false, want a change")
	}
	var names []string
	for _, s := range dr.Spec.Subsets {
		names = append(names, s.Name)
	}
	if want := []string{"debug", "stable", "canary"}; !cmp.Equal(names, want) {
		t.Errorf("subsets = %v, want %v", names, want)
	}
	if dr.Spec.TrafficPolicy.GetConnectionPool().GetTcp().GetMaxConnections() != 7 {
		t.Error("traffic policy lost")
	}
	if SetSubsets(dr, []traffic.Subset{{Name: "canary", Labels: map[string]string{"aviary.dev/version": "1.1.0"}}}, nil) {
		t.Error("SetSubsets with nothing new = true, want no change")
	}
	if !SetSubsets(dr, nil, []string{"canary"}) || len(dr.Spec.Subsets) != 2 {
		t.Errorf("removing canary left %d subsets, want 2", len(dr.Spec.Subsets))
	}
}

func countVerb(actions []k8stesting.Action, verb string) int {
	n := 0
	for _, a := range actions {
		if a.GetVerb() == verb {
			n++
		}
	}
	return n
}

func TestSnapshotServesAsTheBaseOfTheNextWrite(t *testing.T) {
	ctx := context.Background()
	client := fake.NewSimpleClientset(userVirtualService())
	r := New(client)
	routes, _, err := r.Snapshot(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if !routes["cart"].Found {
		t.Fatalf("Snapshot routes = %v, want cart's", routes)
	}
	client.ClearActions()
	if err := r.SetWeights(ctx, svc, split(80, 20)); err != nil {
		t.Fatal(err)
	}
	if got := countVerb(client.Actions(), "get"); got != 0 {
		t.Errorf("gets after a Snapshot = %d, want 0", got)
	}
	if got := countVerb(client.Actions(), "update"); got != 1 {
		t.Errorf("updates = %d, want 1", got)
	}
	// The base serves once: the next write reads afresh, and a write the
	// base would call needless is checked against a fresh read.
	client.ClearActions()
	if err := r.SetWeights(ctx, svc, split(80, 20)); err != nil {
		t.Fatal(err)
	}
	if got, want := len(client.Actions()), 1; got != want || client.Actions()[0].GetVerb() != "get" {
		t.Errorf("actions of a needless write = %v, want one get", client.Actions())
	}
}

// TestWrittenObjectServesAsTheBaseOfTheNextWrite: a second write to an
// object this router wrote needs no read (promote changes a rule before
// and after the route); a stale one costs a conflict and a fresh read.
func TestWrittenObjectServesAsTheBaseOfTheNextWrite(t *testing.T) {
	ctx := context.Background()
	client := fake.NewSimpleClientset(userVirtualService())
	r := New(client)
	if err := r.SetWeights(ctx, svc, split(90, 10)); err != nil {
		t.Fatal(err)
	}
	client.ClearActions()
	if err := r.SetWeights(ctx, svc, split(80, 20)); err != nil {
		t.Fatal(err)
	}
	if got, want := client.Actions(), 1; len(got) != want || got[0].GetVerb() != "update" {
		t.Errorf("actions of a second VirtualService write = %v, want one update", got)
	}
	stable := []traffic.Subset{{Name: "stable", Labels: map[string]string{"version": "1"}}}
	canarySubset := []traffic.Subset{{Name: "canary", Labels: map[string]string{"version": "2"}}}
	if err := r.SetSubsets(ctx, svc, "cart", append(stable, canarySubset...), nil); err != nil {
		t.Fatal(err)
	}
	client.ClearActions()
	if err := r.SetSubsets(ctx, svc, "cart", stable, []string{"canary"}); err != nil {
		t.Fatal(err)
	}
	if got := client.Actions(); len(got) != 1 || got[0].GetVerb() != "update" {
		t.Errorf("actions of a second DestinationRule write = %v, want one update", got)
	}
	got, err := r.Subsets(ctx, svc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "stable" {
		t.Errorf("Subsets() = %v, want stable alone", got)
	}
}
