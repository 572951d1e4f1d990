package xdsprobe

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestShadowed(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	vs := func(name string, created time.Time, spec string) Config {
		return Config{Kind: "VirtualService", Namespace: "shop", Name: name, Created: created, Spec: []byte(spec)}
	}
	tests := []struct {
		name    string
		configs []Config
		want    []string
	}{
		{"one per host", []Config{
			vs("cart", t0, `{"hosts":["cart"]}`),
			vs("web", t0, `{"hosts":["web.shop.svc.cluster.local"]}`),
		}, nil},
		{"older user's VirtualService wins", []Config{
			vs("cart", t0.Add(time.Second), `{"hosts":["cart"]}`),
			vs("cart-user", t0, `{"hosts":["cart.shop.svc.cluster.local"]}`),
		}, []string{"VirtualService shop/cart is ignored for cart.shop.svc.cluster.local: the older VirtualService shop/cart-user routes that host"}},
		{"same time: by name", []Config{
			vs("b", t0, `{"hosts":["cart.shop.svc.cluster.local"]}`),
			vs("a", t0, `{"hosts":["cart"]}`),
		}, []string{"VirtualService shop/b is ignored for cart.shop.svc.cluster.local: the older VirtualService shop/a routes that host"}},
		{"gateway-only VirtualService does not count", []Config{
			vs("edge", t0, `{"hosts":["cart"],"gateways":["shop/gw"]}`),
			vs("cart", t0.Add(time.Second), `{"hosts":["cart"]}`),
		}, nil},
		{"mesh gateway counts", []Config{
			vs("edge", t0, `{"hosts":["cart"],"gateways":["shop/gw","mesh"]}`),
			vs("cart", t0.Add(time.Second), `{"hosts":["cart"]}`),
		}, []string{"VirtualService shop/cart is ignored for cart.shop.svc.cluster.local: the older VirtualService shop/edge routes that host"}},
		{"other kinds", []Config{{Kind: "DestinationRule", Namespace: "shop", Name: "cart", Spec: []byte(`{"host":"cart"}`)}}, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Shadowed(tt.configs)); diff != "" {
			t.Errorf("%s: Shadowed() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestFQDN(t *testing.T) {
	tests := []struct{ host, want string }{
		{"cart", "cart.shop.svc.cluster.local"},
		{"cart.other", "cart.other"},
		{"cart.shop.svc.cluster.local", "cart.shop.svc.cluster.local"},
		{"shop.example.com", "shop.example.com"},
		{"*", "*"},
		{"*.example.com", "*.example.com"},
		{"fd00::1", "fd00::1"},
	}
	for _, tt := range tests {
		if got := fqdn(tt.host, "shop"); got != tt.want {
			t.Errorf("fqdn(%q, shop) = %q, want %q", tt.host, got, tt.want)
		}
	}
}
