package topology

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

func target(role config.Role, cluster, ns string) config.Target {
	return config.Target{Role: role, Cluster: cluster, Namespace: ns}
}

var (
	stablePart  = []config.Part{config.PartStable}
	canaryPart  = []config.Part{config.PartCanary}
	passivePart = []config.Part{config.PartPassive}
)

func TestPlace(t *testing.T) {
	tests := []struct {
		name string
		topo config.Topology
		opts Options
		want Placement
	}{
		{
			name: "single-cluster",
			topo: config.Topology{Kind: config.SingleCluster, Targets: []config.Target{target(config.RoleRelease, "", "shop")}},
			want: Placement{Kind: config.SingleCluster, Canary: config.VersionSubsets,
				Sides:  []Side{{Role: config.RoleRelease, Parts: []config.Part{config.PartStable, config.PartCanary}, Scope: config.ScopeChanged, Location: Location{Namespace: "shop"}}},
				Routes: []Location{{Namespace: "shop"}}},
		},
		{
			name: "single-cluster namespace input wins",
			topo: config.Topology{Kind: config.SingleCluster, Targets: []config.Target{target(config.RoleRelease, "prod", "shop")}},
			opts: Options{Namespace: "shop-test"},
			want: Placement{Kind: config.SingleCluster, Canary: config.VersionSubsets,
				Sides:  []Side{{Role: config.RoleRelease, Parts: []config.Part{config.PartStable, config.PartCanary}, Scope: config.ScopeChanged, Location: Location{"prod", "prod", "shop-test"}}},
				Routes: []Location{{"prod", "prod", "shop-test"}}},
		},
		{
			name: "single-cluster from the namespace input alone",
			topo: config.Topology{},
			opts: Options{Namespace: "shop"},
			want: Placement{Kind: config.SingleCluster, Canary: config.VersionSubsets,
				Sides:  []Side{{Role: config.RoleRelease, Parts: []config.Part{config.PartStable, config.PartCanary}, Scope: config.ScopeChanged, Location: Location{Namespace: "shop"}}},
				Routes: []Location{{Namespace: "shop"}}},
		},
		{
			name: "canary-namespace",
			topo: config.Topology{Kind: config.CanaryNamespace, Targets: []config.Target{target(config.RoleStable, "", "shop"), target(config.RoleCanary, "", "shop-canary")}},
			want: Placement{Kind: config.CanaryNamespace, Canary: config.HostPerNamespace,
				Sides: []Side{
					{Role: config.RoleStable, Parts: stablePart, Scope: config.ScopeAll, Location: Location{Namespace: "shop"}},
					{Role: config.RoleCanary, Parts: canaryPart, Scope: config.ScopeChanged, Location: Location{Namespace: "shop-canary"}},
				},
				Routes: []Location{{Namespace: "shop"}}},
		},
		{
			name: "blue-green-namespaces",
			topo: config.Topology{Kind: config.BlueGreenNamespaces, Targets: []config.Target{target(config.RolePassive, "", "shop-green"), target(config.RoleActive, "", "shop-blue")}},
			want: Placement{Kind: config.BlueGreenNamespaces, Switch: config.HostPerNamespace,
				Sides: []Side{
					{Role: config.RoleActive, Parts: stablePart, Scope: config.ScopeAll, Location: Location{Namespace: "shop-blue"}},
					{Role: config.RolePassive, Parts: passivePart, Scope: config.ScopeAll, Location: Location{Namespace: "shop-green"}},
				},
				Routes: []Location{{Namespace: "shop-blue"}}},
		},
		{
			name: "active-passive-canary-namespace: three places in two clusters",
			topo: config.Topology{Kind: config.ActivePassiveCanaryNamespace, Targets: []config.Target{
				{Role: config.RoleActive, Cluster: "east", ClusterID: "cluster-east", Namespace: "shop"},
				{Role: config.RoleCanary, Cluster: "east", ClusterID: "cluster-east", Namespace: "shop-canary"},
				target(config.RolePassive, "west", "shop"),
			}},
			want: Placement{Kind: config.ActivePassiveCanaryNamespace, Canary: config.HostPerNamespace, Switch: config.ClusterSubsets,
				Sides: []Side{
					{Role: config.RoleActive, Parts: stablePart, Scope: config.ScopeAll, Location: Location{"east", "cluster-east", "shop"}},
					{Role: config.RoleCanary, Parts: canaryPart, Scope: config.ScopeChanged, Location: Location{"east", "cluster-east", "shop-canary"}},
					{Role: config.RolePassive, Parts: passivePart, Scope: config.ScopeAll, Location: Location{"west", "west", "shop"}},
				},
				Routes: []Location{{"east", "cluster-east", "shop"}}},
		},
		{
			name: "blue-green-clusters without a gateway routes in both primaries",
			topo: config.Topology{Kind: config.BlueGreenClusters, Targets: []config.Target{target(config.RoleActive, "blue", "shop"), target(config.RolePassive, "green", "shop")}},
			want: Placement{Kind: config.BlueGreenClusters, Switch: config.ClusterSubsets,
				Sides: []Side{
					{Role: config.RoleActive, Parts: stablePart, Scope: config.ScopeAll, Location: Location{"blue", "blue", "shop"}},
					{Role: config.RolePassive, Parts: passivePart, Scope: config.ScopeAll, Location: Location{"green", "green", "shop"}},
				},
				Routes: []Location{{"blue", "blue", "shop"}, {"green", "green", "shop"}}},
		},
		{
			name: "gateway-routed-clusters routes from the gateway",
			topo: config.Topology{Kind: config.GatewayRoutedClusters, Targets: []config.Target{target(config.RoleGateway, "edge", "ingress"), target(config.RoleStable, "main", "shop"), target(config.RoleCanary, "canary", "shop")}},
			want: Placement{Kind: config.GatewayRoutedClusters, Canary: config.ClusterSubsets,
				Sides: []Side{
					{Role: config.RoleGateway, Parts: []config.Part{config.PartGateway}, Location: Location{"edge", "edge", "ingress"}},
					{Role: config.RoleStable, Parts: stablePart, Scope: config.ScopeAll, Location: Location{"main", "main", "shop"}},
					{Role: config.RoleCanary, Parts: canaryPart, Scope: config.ScopeChanged, Location: Location{"canary", "canary", "shop"}},
				},
				Routes: []Location{{"edge", "edge", "ingress"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Place(tt.topo, tt.opts)
			if err != nil {
				t.Fatalf("Place(%v, %+v) error = %v", tt.topo, tt.opts, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Place mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlaceRejects(t *testing.T) {
	tests := []struct {
		name string
		topo config.Topology
		opts Options
		want string
	}{
		{"single-cluster without namespace", config.Topology{Kind: config.SingleCluster}, Options{}, "missing release"},
		{"unknown kind", config.Topology{Kind: "moon-base"}, Options{}, "unknown topology kind"},
		{"namespace input on a two-sided topology", config.Topology{Kind: config.CanaryNamespace, Targets: []config.Target{target(config.RoleStable, "", "a"), target(config.RoleCanary, "", "b")}}, Options{Namespace: "c"}, "only applies to a single-cluster"},
		{"canary-namespace missing its canary", config.Topology{Kind: config.CanaryNamespace, Targets: []config.Target{target(config.RoleStable, "", "a")}}, Options{}, "missing canary"},
		{"canary-namespace with one namespace twice", config.Topology{Kind: config.CanaryNamespace, Targets: []config.Target{target(config.RoleStable, "", "a"), target(config.RoleCanary, "", "a")}}, Options{}, "different namespaces"},
		{"namespace kinds stay in one cluster", config.Topology{Kind: config.CanaryNamespace, Targets: []config.Target{target(config.RoleStable, "x", "a"), target(config.RoleCanary, "y", "b")}}, Options{}, "in one cluster"},
		{"cluster kinds need two clusters", config.Topology{Kind: config.DeltaCanaryCluster, Targets: []config.Target{target(config.RoleStable, "x", "a"), target(config.RoleCanary, "x", "a")}}, Options{}, "different clusters"},
		{"gateway-routed without a gateway", config.Topology{Kind: config.GatewayRoutedClusters, Targets: []config.Target{target(config.RoleStable, "x", "a"), target(config.RoleCanary, "y", "a")}}, Options{}, "missing gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Place(tt.topo, tt.opts)
			if outcome.KindOf(err) != outcome.KindInvalid || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Place(%v, %+v) error = %v, want an Invalid error saying %q", tt.topo, tt.opts, err, tt.want)
			}
		})
	}
}

func TestSupported(t *testing.T) {
	place := func(topo config.Topology) Placement {
		t.Helper()
		p, err := Place(topo, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	single := place(config.Topology{Kind: config.SingleCluster, Targets: []config.Target{target(config.RoleRelease, "", "shop")}})
	canaryNS := place(config.Topology{Kind: config.CanaryNamespace, Targets: []config.Target{target(config.RoleStable, "", "shop"), target(config.RoleCanary, "", "shop-canary")}})
	apcn := place(config.Topology{Kind: config.ActivePassiveCanaryNamespace, Targets: []config.Target{target(config.RoleActive, "east", "shop"), target(config.RoleCanary, "east", "shop-canary"), target(config.RolePassive, "west", "shop")}})
	bgns := place(config.Topology{Kind: config.BlueGreenNamespaces, Targets: []config.Target{target(config.RoleActive, "", "a"), target(config.RolePassive, "", "b")}})
	delta := place(config.Topology{Kind: config.DeltaCanaryCluster, Targets: []config.Target{target(config.RoleStable, "east", "shop"), target(config.RoleCanary, "west", "shop")}})
	remote := delta
	remote.Canary = config.RemoteHost
	remoteGW := place(config.Topology{Kind: config.GatewayRoutedClusters, Mesh: config.MeshSeparate, Targets: []config.Target{
		target(config.RoleGateway, "gw", "shop"), withIngress(target(config.RoleStable, "east", "shop"), "10.0.0.1:80"), withIngress(target(config.RoleCanary, "west", "shop"), "canary.example:443")}})
	remoteBG := place(config.Topology{Kind: config.BlueGreenClusters, Mesh: config.MeshSeparate, Targets: []config.Target{
		withIngress(target(config.RoleActive, "east", "shop"), "10.0.0.1:80"), withIngress(target(config.RolePassive, "west", "shop"), "10.0.0.2:80")}})
	remoteAPCN := place(config.Topology{Kind: config.ActivePassiveCanaryNamespace, Mesh: config.MeshSeparate, Targets: []config.Target{
		target(config.RoleActive, "east", "shop"), target(config.RoleCanary, "east", "shop-canary"), withIngress(target(config.RolePassive, "west", "shop"), "10.0.0.2:80")}})
	tests := []struct {
		p    Placement
		step string
		want string // empty: supported
	}{
		{single, "deploy-canary", ""},
		{single, "rollback", ""},
		{canaryNS, "deploy-canary", ""},
		{canaryNS, "shift-weight", ""},
		{canaryNS, "promote", ""},
		{canaryNS, "rollback", ""},
		{apcn, "deploy-canary", ""},
		{apcn, "rebuild-cluster", ""},
		{bgns, "rebuild-cluster", ""},
		{bgns, "shift-weight", ""},
		{bgns, "promote", ""},
		{bgns, "rollback", ""},
		{bgns, "deploy-canary", ""},
		{single, "rebuild-cluster", ""},
		{canaryNS, "rebuild-cluster", ""},
		{delta, "deploy-canary", ""},
		{delta, "promote", ""},
		{delta, "rebuild-cluster", ""},
		{remote, "shift-weight", ""},
		{remoteGW, "deploy-canary", ""},
		{remoteGW, "promote", ""},
		{remoteGW, "rebuild-cluster", ""},
		{remoteBG, "rebuild-cluster", ""},
		{remoteBG, "deploy-canary", ""},
		{remoteBG, "shift-weight", ""},
		{remoteBG, "promote", ""},
		{remoteBG, "rollback", ""},
		{remoteAPCN, "rebuild-cluster", ""},
		{remoteAPCN, "deploy-canary", ""},
	}
	for _, tt := range tests {
		err := Supported(tt.p, tt.step)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Supported(%s, %s) = %v, want nil", tt.p.Kind, tt.step, err)
		case tt.want != "" && (outcome.KindOf(err) != outcome.KindInvalid || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Supported(%s, %s) = %v, want an Invalid error saying %q", tt.p.Kind, tt.step, err, tt.want)
		}
	}
}

func TestRebuildSide(t *testing.T) {
	place := func(topo config.Topology) Placement {
		t.Helper()
		p, err := Place(topo, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	bgns := place(config.Topology{Kind: config.BlueGreenNamespaces, Targets: []config.Target{target(config.RoleActive, "", "blue"), target(config.RolePassive, "", "green")}})
	bgc := place(config.Topology{Kind: config.BlueGreenClusters, Targets: []config.Target{target(config.RoleActive, "east", "shop"), target(config.RolePassive, "west", "shop")}})
	single := place(config.Topology{Kind: config.SingleCluster, Targets: []config.Target{target(config.RoleRelease, "", "shop")}})
	gw := place(config.Topology{Kind: config.GatewayRoutedClusters, Targets: []config.Target{
		target(config.RoleGateway, "gw", "shop"), target(config.RoleStable, "east", "shop"), target(config.RoleCanary, "west", "shop")}})
	tests := []struct {
		p          Placement
		name       string
		want, side string // want: the role picked; else side: the error's words
	}{
		{bgns, "green", "passive", "green"},
		{bgns, "blue", "active", "blue"},
		{bgns, "passive", "passive", "green"},
		{bgc, "west", "passive", "west"},
		{bgc, "active", "active", "east"},
		{bgc, "shop", "", `"shop" names both sides of the blue-green-clusters topology; give "active" or "east" for one side, "passive" or "west" for the other`},
		{bgns, "shop-test", "", `"shop-test" is not a side of the blue-green-namespaces topology: give "active" or "blue" for one side, "passive" or "green" for the other`},
		// A topology with a canary side rebuilds its stable side in
		// place; single-cluster's one namespace names it.
		{single, "shop", "release", "shop"},
		{single, "release", "release", "shop"},
		{gw, "east", "stable", "east"},
		{gw, "stable", "stable", "east"},
		{gw, "west", "", `"west" is the canary side of the gateway-routed-clusters topology, which each release's canaries replace: rebuild the stable side, "stable" or "east"`},
		{gw, "shop", "", `"shop" names both the stable and the canary side`},
		{gw, "gw", "", `"gw" is not the stable side of the gateway-routed-clusters topology: give "stable" or "east"`},
	}
	for _, tt := range tests {
		target, other, err := RebuildSide(tt.p, tt.name)
		switch {
		case tt.want == "" && (outcome.KindOf(err) != outcome.KindInvalid || !strings.Contains(err.Error(), tt.side)):
			t.Errorf("RebuildSide(%s, %q) = %v, want an Invalid error saying %q", tt.p.Kind, tt.name, err, tt.side)
		case tt.want != "" && err != nil:
			t.Errorf("RebuildSide(%s, %q) = %v, want the %s side", tt.p.Kind, tt.name, err, tt.want)
		case tt.want != "" && (string(target.Role) != tt.want || target.Name(other) != tt.side):
			t.Errorf("RebuildSide(%s, %q) = %s named %q, want %s named %q", tt.p.Kind, tt.name, target.Role, target.Name(other), tt.want, tt.side)
		}
	}
}

func withIngress(t config.Target, addr string) config.Target {
	t.Ingress = addr
	return t
}
