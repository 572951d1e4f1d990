package xdsprobe

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseClusterName(t *testing.T) {
	tests := []struct {
		name   string
		want   ClusterName
		wantOK bool
	}{
		{"outbound|80|canary|cart.shop.svc.cluster.local", ClusterName{"outbound", 80, "canary", "cart.shop.svc.cluster.local"}, true},
		{"outbound|8080||cart.shop.svc.cluster.local", ClusterName{"outbound", 8080, "", "cart.shop.svc.cluster.local"}, true},
		{"inbound|8080||", ClusterName{}, false},
		{"outbound|http|canary|cart", ClusterName{}, false},
		{"BlackHoleCluster", ClusterName{}, false},
		{"outbound_.80_.canary_.cart.shop.svc.cluster.local", ClusterName{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseClusterName(tt.name)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseClusterName(%q) = %+v, %v; want %+v, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
		if ok && got.String() != tt.name {
			t.Errorf("ParseClusterName(%q).String() = %q, want the name back", tt.name, got.String())
		}
	}
}

func TestOutboundCluster(t *testing.T) {
	if got, want := OutboundCluster("cart.shop.svc.cluster.local", 80, "stable"), "outbound|80|stable|cart.shop.svc.cluster.local"; got != want {
		t.Errorf("OutboundCluster(cart, 80, stable) = %q, want %q", got, want)
	}
}

func TestShareKeys(t *testing.T) {
	tests := []struct {
		name     string
		clusters []string
		want     []string
	}{
		{"subsets", []string{"outbound|80|stable|cart.shop.svc.cluster.local", "outbound|80|canary|cart.shop.svc.cluster.local"},
			[]string{"stable", "canary"}},
		{"hosts", []string{"outbound|80||cart.shop.svc.cluster.local", "outbound|80||cart.shop-canary.svc.cluster.local"},
			[]string{"cart.shop.svc.cluster.local", "cart.shop-canary.svc.cluster.local"}},
		{"same subset of two hosts", []string{"outbound|80|stable|a.shop.svc.cluster.local", "outbound|80|stable|b.shop.svc.cluster.local"},
			[]string{"outbound|80|stable|a.shop.svc.cluster.local", "outbound|80|stable|b.shop.svc.cluster.local"}},
		{"one cluster twice", []string{"outbound|80|stable|cart.shop.svc.cluster.local", "outbound|80|stable|cart.shop.svc.cluster.local"},
			[]string{"stable", "stable"}},
		{"not Istio's", []string{"BlackHoleCluster"}, []string{"BlackHoleCluster"}},
	}
	for _, tt := range tests {
		var wcs []WeightedCluster
		for _, c := range tt.clusters {
			wcs = append(wcs, WeightedCluster{Name: c})
		}
		if diff := cmp.Diff(tt.want, shareKeys(wcs)); diff != "" {
			t.Errorf("%s: shareKeys(%v) (-want +got):\n%s", tt.name, tt.clusters, diff)
		}
	}
}
