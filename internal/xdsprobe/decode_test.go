package xdsprobe

import (
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestVirtualHostOf(t *testing.T) {
	weighted := &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_WeightedClusters{
		WeightedClusters: &routev3.WeightedCluster{Clusters: []*routev3.WeightedCluster_ClusterWeight{
			{Name: "outbound|80|stable|cart.shop.svc.cluster.local", Weight: wrapperspb.UInt32(90)},
			{Name: "outbound|80|canary|cart.shop.svc.cluster.local", Weight: wrapperspb.UInt32(10)},
		}},
	}}}
	vh := &routev3.VirtualHost{
		Name:    "cart.shop.svc.cluster.local:80",
		Domains: []string{"cart.shop.svc.cluster.local", "cart"},
		Routes: []*routev3.Route{
			{Name: "beta", Match: &routev3.RouteMatch{
				PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"},
				Headers:       []*routev3.HeaderMatcher{{Name: "x-beta"}},
			}, Action: &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: "outbound|80|canary|cart.shop.svc.cluster.local"}}}},
			{Name: "aviary-cart", Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}}, Action: weighted},
			{Name: "moved", Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: "/old.*"}}},
				Action: &routev3.Route_Redirect{Redirect: &routev3.RedirectAction{}}},
		},
	}
	want := VirtualHost{
		Name:    "cart.shop.svc.cluster.local:80",
		Domains: []string{"cart.shop.svc.cluster.local", "cart"},
		Routes: []Route{
			{Name: "beta", Match: "prefix / headers", Clusters: []WeightedCluster{{"outbound|80|canary|cart.shop.svc.cluster.local", 100}}},
			{Name: "aviary-cart", Match: "prefix /", Clusters: []WeightedCluster{
				{"outbound|80|stable|cart.shop.svc.cluster.local", 90},
				{"outbound|80|canary|cart.shop.svc.cluster.local", 10},
			}},
			{Name: "moved", Match: "regex /old.*"},
		},
	}
	if diff := cmp.Diff(want, virtualHostOf(vh)); diff != "" {
		t.Errorf("virtualHostOf() (-want +got):\n%s", diff)
	}
	if _, ok := VirtualHostFor([]VirtualHost{want}, "cart"); !ok {
		t.Errorf("VirtualHostFor(cart) found nothing, want the virtual host")
	}
	if _, ok := VirtualHostFor([]VirtualHost{want}, "web"); ok {
		t.Errorf("VirtualHostFor(web) found a virtual host, want none")
	}
}

func TestEndpointOf(t *testing.T) {
	addr := func(ip string, port uint32) *endpointv3.LbEndpoint_Endpoint {
		return &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{Address: &corev3.Address{Address: &corev3.Address_SocketAddress{
			SocketAddress: &corev3.SocketAddress{Address: ip, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port}},
		}}}}
	}
	meta, err := structpb.NewStruct(map[string]any{"workload": "cart-v1-0-0;shop;cart;v1;cluster-2"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		lb   *endpointv3.LbEndpoint
		want Endpoint
	}{
		{"bare", &endpointv3.LbEndpoint{HostIdentifier: addr("10.244.0.5", 8080)},
			Endpoint{IP: "10.244.0.5", Port: 8080, Weight: 1, Health: "UNKNOWN"}},
		{"istio metadata", &endpointv3.LbEndpoint{
			HostIdentifier:      addr("10.245.0.7", 8080),
			HealthStatus:        corev3.HealthStatus_HEALTHY,
			LoadBalancingWeight: wrapperspb.UInt32(3),
			Metadata:            &corev3.Metadata{FilterMetadata: map[string]*structpb.Struct{"istio": meta}},
		}, Endpoint{IP: "10.245.0.7", Port: 8080, Weight: 3, Health: "HEALTHY", Workload: "cart-v1-0-0", ClusterID: "cluster-2"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, endpointOf(tt.lb)); diff != "" {
			t.Errorf("%s: endpointOf() (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestIPs(t *testing.T) {
	got := IPs([]Endpoint{{IP: "10.244.0.9", Port: 1}, {IP: "10.244.0.10"}, {IP: "10.244.0.9", Port: 2}})
	if diff := cmp.Diff([]string{"10.244.0.9", "10.244.0.10"}, got); diff != "" {
		t.Errorf("IPs() (-want +got):\n%s", diff)
	}
}
