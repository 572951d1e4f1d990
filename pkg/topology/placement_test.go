package topology

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

func target(role config.Role, cluster, ns string) config.Target {
	return config.Target{Role: role, Cluster: cluster, Namespace: ns}
}

func TestPlace(t *testing.T) {
	tests := []struct {
		name      string
		topo      config.Topology
		namespace string
		want      Placement
		stable    traffic.Destination
		canary    traffic.Destination
	}{
		{
			name:   "single-cluster from its target",
			topo:   config.Topology{Kind: config.SingleCluster, Targets: []config.Target{target(config.RoleStable, "", "shop")}},
			want:   Placement{Kind: config.SingleCluster, Route: Location{Namespace: "shop"}, Stable: Location{Namespace: "shop"}, Canary: Location{Namespace: "shop"}, Scope: Changed, Separation: ByVersion},
			stable: traffic.Destination{Namespace: "shop", Host: "cart", Subset: "stable"},
			canary: traffic.Destination{Namespace: "shop", Host: "cart", Subset: "canary"},
		},
		{
			name:      "single-cluster namespace input wins",
			topo:      config.Topology{Kind: config.SingleCluster, Targets: []config.Target{target(config.RoleRelease, "", "shop")}},
			namespace: "shop-test",
			want:      Placement{Kind: config.SingleCluster, Route: Location{Namespace: "shop-test"}, Stable: Location{Namespace: "shop-test"}, Canary: Location{Namespace: "shop-test"}, Scope: Changed, Separation: ByVersion},
			stable:    traffic.Destination{Namespace: "shop-test", Host: "cart", Subset: "stable"},
			canary:    traffic.Destination{Namespace: "shop-test", Host: "cart", Subset: "canary"},
		},
		{
			name:   "canary-namespace",
			topo:   config.Topology{Kind: config.CanaryNamespace, Targets: []config.Target{target(config.RoleStable, "", "shop"), target(config.RoleCanary, "", "shop-canary")}},
			want:   Placement{Kind: config.CanaryNamespace, Route: Location{Namespace: "shop"}, Stable: Location{Namespace: "shop"}, Canary: Location{Namespace: "shop-canary"}, Scope: Changed, Separation: ByHost},
			stable: traffic.Destination{Namespace: "shop", Host: "cart.shop.svc.cluster.local"},
			canary: traffic.Destination{Namespace: "shop-canary", Host: "cart.shop-canary.svc.cluster.local"},
		},
		{
			name:   "active-passive-canary-namespace routes from the gateway",
			topo:   config.Topology{Kind: config.ActivePassiveCanaryNamespace, Targets: []config.Target{target(config.RoleActive, "", "shop-blue"), target(config.RolePassive, "", "shop-green"), target(config.RoleGateway, "", "shop")}},
			want:   Placement{Kind: config.ActivePassiveCanaryNamespace, Route: Location{Namespace: "shop"}, Stable: Location{Namespace: "shop-blue"}, Canary: Location{Namespace: "shop-green"}, Scope: All, Separation: ByHost},
			stable: traffic.Destination{Namespace: "shop-blue", Host: "cart.shop-blue.svc.cluster.local"},
			canary: traffic.Destination{Namespace: "shop-green", Host: "cart.shop-green.svc.cluster.local"},
		},
		{
			name:   "blue-green-clusters",
			topo:   config.Topology{Kind: config.BlueGreenClusters, Targets: []config.Target{target(config.RoleActive, "blue", "shop"), target(config.RolePassive, "green", "shop")}},
			want:   Placement{Kind: config.BlueGreenClusters, Route: Location{"blue", "shop"}, Stable: Location{"blue", "shop"}, Canary: Location{"green", "shop"}, Scope: All, Separation: ByCluster},
			stable: traffic.Destination{Cluster: "blue", Namespace: "shop", Host: "cart.shop.svc.cluster.local", Subset: "stable"},
			canary: traffic.Destination{Cluster: "green", Namespace: "shop", Host: "cart.shop.svc.cluster.local", Subset: "canary"},
		},
		{
			name:   "delta-canary-cluster",
			topo:   config.Topology{Kind: config.DeltaCanaryCluster, Targets: []config.Target{target(config.RoleStable, "main", "shop"), target(config.RoleCanary, "canary", "shop")}},
			want:   Placement{Kind: config.DeltaCanaryCluster, Route: Location{"main", "shop"}, Stable: Location{"main", "shop"}, Canary: Location{"canary", "shop"}, Scope: Changed, Separation: ByCluster},
			stable: traffic.Destination{Cluster: "main", Namespace: "shop", Host: "cart.shop.svc.cluster.local", Subset: "stable"},
			canary: traffic.Destination{Cluster: "canary", Namespace: "shop", Host: "cart.shop.svc.cluster.local", Subset: "canary"},
		},
		{
			name:   "rebuilt-canary-cluster",
			topo:   config.Topology{Kind: config.RebuiltCanaryCluster, Targets: []config.Target{target(config.RoleStable, "main", "shop"), target(config.RoleCanary, "canary", "shop")}},
			want:   Placement{Kind: config.RebuiltCanaryCluster, Route: Location{"main", "shop"}, Stable: Location{"main", "shop"}, Canary: Location{"canary", "shop"}, Scope: All, Separation: ByCluster},
			stable: traffic.Destination{Cluster: "main", Namespace: "shop", Host: "cart.shop.svc.cluster.local", Subset: "stable"},
			canary: traffic.Destination{Cluster: "canary", Namespace: "shop", Host: "cart.shop.svc.cluster.local", Subset: "canary"},
		},
		{
			name:   "gateway-routed-clusters",
			topo:   config.Topology{Kind: config.GatewayRoutedClusters, Targets: []config.Target{target(config.RoleGateway, "edge", "ingress"), target(config.RoleStable, "main", "shop"), target(config.RoleCanary, "canary", "shop")}},
			want:   Placement{Kind: config.GatewayRoutedClusters, Route: Location{"edge", "ingress"}, Stable: Location{"main", "shop"}, Canary: Location{"canary", "shop"}, Scope: Changed, Separation: ByCluster},
			stable: traffic.Destination{Cluster: "main", Namespace: "shop", Host: "cart.shop.svc.cluster.local", Subset: "stable"},
			canary: traffic.Destination{Cluster: "canary", Namespace: "shop", Host: "cart.shop.svc.cluster.local", Subset: "canary"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Place(tt.topo, tt.namespace)
			if err != nil {
				t.Fatalf("Place(%v, %q) error = %v", tt.topo, tt.namespace, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Place mismatch (-want +got):\n%s", diff)
			}
			s, c := got.Destinations("cart")
			if diff := cmp.Diff([]traffic.Destination{tt.stable, tt.canary}, []traffic.Destination{s, c}); diff != "" {
				t.Errorf("Destinations(cart) mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlaceRejects(t *testing.T) {
	tests := []struct {
		name      string
		topo      config.Topology
		namespace string
	}{
		{"single-cluster without namespace", config.Topology{Kind: config.SingleCluster}, ""},
		{"unknown kind", config.Topology{Kind: "moon-base"}, ""},
		{"namespace input on a two-sided topology", config.Topology{Kind: config.CanaryNamespace, Targets: []config.Target{target(config.RoleStable, "", "a"), target(config.RoleCanary, "", "b")}}, "c"},
		{"canary-namespace missing its canary", config.Topology{Kind: config.CanaryNamespace, Targets: []config.Target{target(config.RoleStable, "", "a")}}, ""},
		{"canary-namespace with one namespace twice", config.Topology{Kind: config.CanaryNamespace, Targets: []config.Target{target(config.RoleStable, "", "a"), target(config.RoleCanary, "", "a")}}, ""},
		{"namespace kinds stay in one cluster", config.Topology{Kind: config.CanaryNamespace, Targets: []config.Target{target(config.RoleStable, "x", "a"), target(config.RoleCanary, "y", "b")}}, ""},
		{"cluster kinds need two clusters", config.Topology{Kind: config.DeltaCanaryCluster, Targets: []config.Target{target(config.RoleStable, "x", "a"), target(config.RoleCanary, "x", "a")}}, ""},
		{"gateway-routed without a gateway", config.Topology{Kind: config.GatewayRoutedClusters, Targets: []config.Target{target(config.RoleStable, "x", "a"), target(config.RoleCanary, "y", "a")}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Place(tt.topo, tt.namespace)
			if outcome.KindOf(err) != outcome.KindInvalid {
				t.Errorf("Place(%v, %q) error = %v, want an Invalid error", tt.topo, tt.namespace, err)
			}
		})
	}
}

func TestSubsets(t *testing.T) {
	single := Placement{Separation: ByVersion}
	if diff := cmp.Diff([]traffic.Subset{
		{Name: "stable", Labels: map[string]string{VersionLabel: "1.0.0"}},
		{Name: "canary", Labels: map[string]string{VersionLabel: "1.1.0"}},
	}, single.Subsets("1.0.0", "1.1.0")); diff != "" {
		t.Errorf("Subsets(1.0.0, 1.1.0) mismatch (-want +got):\n%s", diff)
	}
	if got := single.Subsets("1.0.0", ""); len(got) != 1 {
		t.Errorf("Subsets without a canary = %v, want only stable", got)
	}
	clusters := Placement{Separation: ByCluster, Stable: Location{Cluster: "main"}, Canary: Location{Cluster: "canary"}}
	if got, want := clusters.Subsets("1", "2")[1].Labels[ClusterLabel], "canary"; got != want {
		t.Errorf("cluster subset selects %q, want %q", got, want)
	}
	if got := (Placement{Separation: ByHost}).Subsets("1", "2"); got != nil {
		t.Errorf("host separation subsets = %v, want none", got)
	}
}

func TestSupported(t *testing.T) {
	if err := Supported(config.SingleCluster, "deploy-canary"); err != nil {
		t.Errorf("Supported(single-cluster, deploy-canary) = %v, want nil", err)
	}
	if err := Supported("", "promote"); err != nil {
		t.Errorf("Supported(unset kind, promote) = %v, want nil (single-cluster is the default)", err)
	}
	err := Supported(config.DeltaCanaryCluster, "shift-weight")
	if outcome.KindOf(err) != outcome.KindInvalid || err.Error() != `topology "delta-canary-cluster" is not supported by shift-weight yet` {
		t.Errorf("Supported(delta-canary-cluster, shift-weight) = %v, want the Invalid not-supported-yet error", err)
	}
}
