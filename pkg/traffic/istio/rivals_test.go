package istio

import (
	"fmt"
	"slices"
	"testing"
	"time"

	netv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/traffic"
)

func vsAt(name string, created time.Time, hosts []string, gateways ...string) *netv1.VirtualService {
	vs := &netv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", CreationTimestamp: metav1.NewTime(created)}}
	vs.Spec.Hosts, vs.Spec.Gateways = hosts, gateways
	return vs
}

// TestRivals: an older VirtualService naming the service's host, written
// short or whole, takes it from aviary's; a younger one, one for gateways
// only and one for another host do not.
func TestRivals(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	svc := traffic.Service{Namespace: "shop", Name: "cart", Hosts: []string{"cart.shop.svc.cluster.local"}}
	tests := []struct {
		name string
		vss  []*netv1.VirtualService
		want []string
	}{
		{"older, short host", []*netv1.VirtualService{vsAt("cart", t0.Add(time.Hour), []string{"cart"}), vsAt("cart-routes", t0, []string{"cart"})},
			[]string{"VirtualService shop/cart-routes (host cart)"}},
		{"older, whole host", []*netv1.VirtualService{vsAt("cart", t0.Add(time.Hour), nil), vsAt("legacy", t0, []string{"cart.shop.svc.cluster.local"})},
			[]string{"VirtualService shop/legacy (host cart.shop.svc.cluster.local)"}},
		{"same second, smaller name", []*netv1.VirtualService{vsAt("cart", t0, nil), vsAt("a-cart", t0, []string{"cart"})},
			[]string{"VirtualService shop/a-cart (host cart)"}},
		{"no aviary route yet", []*netv1.VirtualService{vsAt("zz", t0.Add(time.Hour), []string{"cart"})},
			[]string{"VirtualService shop/zz (host cart)"}},
		{"younger", []*netv1.VirtualService{vsAt("cart", t0, nil), vsAt("cart-routes", t0.Add(time.Hour), []string{"cart"})}, nil},
		{"gateways only", []*netv1.VirtualService{vsAt("cart", t0.Add(time.Hour), nil), vsAt("edge", t0, []string{"cart"}, "shop/public")}, nil},
		{"gateways and mesh", []*netv1.VirtualService{vsAt("cart", t0.Add(time.Hour), nil), vsAt("edge", t0, []string{"cart"}, "shop/public", "mesh")},
			[]string{"VirtualService shop/edge (host cart)"}},
		{"another host", []*netv1.VirtualService{vsAt("cart", t0.Add(time.Hour), nil), vsAt("web", t0, []string{"web", "cart.other.svc.cluster.local"})}, nil},
		{"both forms of the host, once", []*netv1.VirtualService{vsAt("cart", t0.Add(time.Hour), nil), vsAt("legacy", t0, []string{"cart", "cart.shop.svc.cluster.local"})},
			[]string{"VirtualService shop/legacy (host cart)"}},
		{"in list order", []*netv1.VirtualService{vsAt("b", t0, []string{"cart.shop.svc.cluster.local"}), vsAt("cart", t0.Add(time.Hour), nil), vsAt("a", t0, []string{"cart"})},
			[]string{"VirtualService shop/b (host cart.shop.svc.cluster.local)", "VirtualService shop/a (host cart)"}},
		{"aviary's own", []*netv1.VirtualService{vsAt("cart", t0, []string{"cart"})}, nil},
	}
	for _, tt := range tests {
		if got := Rivals(tt.vss, svc); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Rivals = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// BenchmarkRivals1000 checks each of 1,000 services against a namespace of
// their 1,000 VirtualServices, as a snapshot of a 1,000-service release
// does: the index makes it linear in the namespace's size.
func BenchmarkRivals1000(b *testing.B) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	vss := make([]*netv1.VirtualService, 1000)
	for i := range vss {
		name := fmt.Sprintf("svc-%03d", i)
		vss[i] = vsAt(name, t0, []string{name + ".shop.svc.cluster.local"})
	}
	b.ResetTimer()
	for b.Loop() {
		x := indexHosts(vss)
		for _, vs := range vss {
			if got := x.rivals(traffic.Service{Namespace: "shop", Name: vs.Name, Hosts: vs.Spec.Hosts}); len(got) > 0 {
				b.Fatalf("rivals of %s = %q, want none", vs.Name, got)
			}
		}
	}
}
