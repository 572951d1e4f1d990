package config

import (
	"slices"
	"strings"
	"testing"
)

func TestTopologyKinds(t *testing.T) {
	tg := func(role Role, cluster, ns string) Target { return Target{Role: role, Cluster: cluster, Namespace: ns} }
	tests := []struct {
		kind    TopologyKind
		targets []Target
		want    string // empty: valid
	}{
		{SingleCluster, []Target{tg(RoleRelease, "", "shop")}, ""},
		{SingleCluster, nil, "missing release"},
		{SingleCluster, []Target{tg(RoleRelease, "", "shop"), tg(RoleRelease, "", "shop2")}, "a second release target"},
		{SingleCluster, []Target{tg(RoleStable, "", "shop")}, "takes no stable target"},
		{CanaryNamespace, []Target{tg(RoleStable, "", "shop"), tg(RoleCanary, "", "shop-canary")}, ""},
		{CanaryNamespace, []Target{tg(RoleStable, "", "shop"), tg(RoleCanary, "", "shop")}, "different namespaces"},
		{CanaryNamespace, []Target{tg(RoleStable, "a", "shop"), tg(RoleCanary, "b", "shop-canary")}, "in one cluster"},
		{BlueGreenNamespaces, []Target{tg(RoleActive, "", "shop-blue"), tg(RolePassive, "", "shop-green")}, ""},
		{BlueGreenNamespaces, []Target{tg(RoleActive, "", "shop"), tg(RolePassive, "", "shop")}, "different namespaces"},
		{BlueGreenClusters, []Target{tg(RoleActive, "blue", "shop"), tg(RolePassive, "green", "shop")}, ""},
		{BlueGreenClusters, []Target{tg(RoleActive, "blue", "shop"), tg(RolePassive, "green", "shop"), tg(RoleGateway, "edge", "gw")}, ""},
		{BlueGreenClusters, []Target{tg(RoleActive, "blue", "shop"), tg(RolePassive, "blue", "shop")}, "different clusters"},
		{BlueGreenClusters, []Target{{Role: RoleActive, Cluster: "blue", ClusterID: "c1", Namespace: "shop"}, {Role: RolePassive, Cluster: "green", ClusterID: "c1", Namespace: "shop"}}, "different Istio cluster IDs"},
		{BlueGreenClusters, []Target{tg(RoleActive, "", "shop"), tg(RolePassive, "green", "shop")}, "give the active target a cluster"},
		{BlueGreenClusters, []Target{{Role: RoleActive, ClusterID: "east", Namespace: "shop"}, tg(RolePassive, "green", "shop")}, ""},
		{DeltaCanaryCluster, []Target{tg(RoleStable, "prod", "shop"), tg(RoleCanary, "canary", "shop")}, ""},
		{DeltaCanaryCluster, []Target{tg(RoleStable, "prod", "shop"), tg(RoleCanary, "canary", "shop-canary")}, "need one namespace"},
		{RebuiltCanaryCluster, []Target{tg(RoleStable, "prod", "shop"), tg(RoleCanary, "canary", "shop")}, ""},
		{RebuiltCanaryCluster, []Target{tg(RoleStable, "prod", "shop")}, "missing canary"},
		{ActivePassiveCanaryNamespace, []Target{tg(RoleActive, "east", "shop"), tg(RoleCanary, "east", "shop-canary"), tg(RolePassive, "west", "shop")}, ""},
		{ActivePassiveCanaryNamespace, []Target{tg(RoleActive, "", "shop-a"), tg(RolePassive, "", "shop-b")}, "missing canary"},
		{ActivePassiveCanaryNamespace, []Target{tg(RoleActive, "east", "shop"), tg(RoleCanary, "west", "shop-canary"), tg(RolePassive, "west", "shop")}, "in one cluster"},
		{ActivePassiveCanaryNamespace, []Target{tg(RoleActive, "east", "shop"), tg(RoleCanary, "east", "shop-canary"), tg(RolePassive, "east", "shop-b")}, "active and passive targets in different clusters"},
		{GatewayRoutedClusters, []Target{tg(RoleGateway, "edge", "gw"), tg(RoleStable, "a", "shop"), tg(RoleCanary, "b", "shop")}, ""},
		{GatewayRoutedClusters, []Target{tg(RoleStable, "a", "shop"), tg(RoleCanary, "b", "shop")}, "missing gateway"},
		{SingleCluster, []Target{tg("primary", "", "shop")}, `"primary" is not a role`},
		{SingleCluster, []Target{tg(RoleRelease, "", "Shop_1")}, "not a DNS-1123 label"},
		{SingleCluster, []Target{{Role: RoleRelease, ClusterID: "a b", Namespace: "shop"}}, "not an Istio cluster ID"},
		{"", nil, "topology.kind: is required"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+tt.want, func(t *testing.T) {
			topo := Topology{Kind: tt.kind, Targets: tt.targets}
			var l problemList
			topo.validate(&l)
			var msgs []string
			for _, p := range l {
				msgs = append(msgs, p.String())
			}
			got := strings.Join(msgs, "\n")
			if tt.want == "" && got != "" {
				t.Errorf("validate(%s) = %q, want no problems", tt.kind, got)
			}
			if tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("validate(%s) = %q, want %q", tt.kind, got, tt.want)
			}
		})
	}
	for _, k := range Kinds() {
		if req, _ := k.Roles(); len(req) == 0 {
			t.Errorf("%s requires no roles", k)
		}
	}
}

func TestRouteRoles(t *testing.T) {
	tg := func(role Role, cluster string) Target { return Target{Role: role, Cluster: cluster, Namespace: "shop"} }
	tests := []struct {
		topo Topology
		want []Role
	}{
		{Topology{Kind: SingleCluster, Targets: []Target{tg(RoleRelease, "")}}, []Role{RoleRelease}},
		{Topology{Kind: CanaryNamespace, Targets: []Target{tg(RoleStable, ""), tg(RoleCanary, "")}}, []Role{RoleStable}},
		{Topology{Kind: BlueGreenClusters, Targets: []Target{tg(RoleActive, "a"), tg(RolePassive, "b")}}, []Role{RoleActive, RolePassive}},
		{Topology{Kind: BlueGreenClusters, Targets: []Target{tg(RoleActive, "a"), tg(RolePassive, "b"), tg(RoleGateway, "g")}}, []Role{RoleGateway}},
		{Topology{Kind: GatewayRoutedClusters, Targets: []Target{tg(RoleStable, "a"), tg(RoleCanary, "b"), tg(RoleGateway, "g")}}, []Role{RoleGateway}},
	}
	for _, tt := range tests {
		if got := tt.topo.RouteRoles(); !slices.Equal(got, tt.want) {
			t.Errorf("%s.RouteRoles() = %v, want %v", tt.topo.Kind, got, tt.want)
		}
	}
}

// TestRulesAreWhole checks the table itself: every kind has a rule, every
// rule's roles exist, its Apart and Routes name roles it takes, and each
// kind has a stable part.
func TestRulesAreWhole(t *testing.T) {
	for _, k := range Kinds() {
		rule, ok := Rules[k]
		if !ok {
			t.Errorf("kind %s has no rule", k)
			continue
		}
		roles := map[Role]bool{}
		stable := false
		for _, tr := range rule.Targets {
			roles[tr.Role] = true
			stable = stable || slices.Contains(tr.Parts, PartStable)
			if tr.Scope == "" && !slices.Contains(tr.Parts, PartGateway) {
				t.Errorf("%s: target %s has no scope", k, tr.Role)
			}
		}
		if !stable {
			t.Errorf("%s: no target plays the stable part", k)
		}
		for _, a := range rule.Apart {
			if !roles[a.A] || !roles[a.B] {
				t.Errorf("%s: Apart names a role the kind does not take: %v", k, a)
			}
		}
		for _, r := range rule.Routes {
			if !roles[r] {
				t.Errorf("%s: Routes names %s, which the kind does not take", k, r)
			}
		}
		if rule.Canary == "" && rule.Switch == "" {
			t.Errorf("%s: neither a canary nor a switch separation", k)
		}
	}
	if len(Rules) != len(Kinds()) {
		t.Errorf("Rules has %d kinds, Kinds() %d", len(Rules), len(Kinds()))
	}
}

func TestMeshModes(t *testing.T) {
	in := func(role Role, cluster, ns, ingress string) Target {
		return Target{Role: role, Cluster: cluster, Namespace: ns, Ingress: ingress}
	}
	tests := []struct {
		topo Topology
		want string // empty: valid
	}{
		{Topology{Kind: DeltaCanaryCluster, Mesh: MeshSeparate, Targets: []Target{in(RoleStable, "prod", "shop", ""), in(RoleCanary, "canary", "shop-canary", "192.0.2.10:15443")}}, ""},
		{Topology{Kind: DeltaCanaryCluster, Mesh: MeshSeparate, Targets: []Target{in(RoleStable, "prod", "shop", ""), in(RoleCanary, "canary", "shop", "ingress.canary.example:443")}}, ""},
		{Topology{Kind: DeltaCanaryCluster, Mesh: MeshSeparate, Targets: []Target{in(RoleStable, "prod", "shop", ""), in(RoleCanary, "canary", "shop", "")}}, "topology.targets[1].ingress: is required: with separate meshes the stable cluster (prod) reaches the canary target's services through its ingress gateway"},
		{Topology{Kind: DeltaCanaryCluster, Mesh: MeshSeparate, Targets: []Target{in(RoleStable, "prod", "shop", ""), in(RoleCanary, "canary", "shop", "192.0.2.10")}}, `"192.0.2.10" is not host:port`},
		{Topology{Kind: DeltaCanaryCluster, Mesh: MeshSeparate, Targets: []Target{in(RoleStable, "prod", "shop", ""), in(RoleCanary, "canary", "shop", "192.0.2.10:0")}}, "is not 1 to 65535"},
		{Topology{Kind: DeltaCanaryCluster, Mesh: MeshSeparate, Targets: []Target{in(RoleStable, "prod", "shop", ""), in(RoleCanary, "canary", "shop", "bad_host:80")}}, "neither an IP address nor a DNS name"},
		{Topology{Kind: DeltaCanaryCluster, Targets: []Target{in(RoleStable, "prod", "shop", ""), in(RoleCanary, "canary", "shop", "192.0.2.10:80")}}, "only applies to separate meshes"},
		{Topology{Kind: DeltaCanaryCluster, Mesh: "mixed", Targets: []Target{in(RoleStable, "prod", "shop", ""), in(RoleCanary, "canary", "shop", "")}}, `"mixed" is not a mesh mode`},
		{Topology{Kind: CanaryNamespace, Mesh: MeshSeparate, Targets: []Target{in(RoleStable, "", "shop", ""), in(RoleCanary, "", "shop-canary", "")}}, "only apply to the cluster topologies"},
		{Topology{Kind: GatewayRoutedClusters, Mesh: MeshSeparate, Targets: []Target{in(RoleGateway, "edge", "gw", ""), in(RoleStable, "a", "shop", "192.0.2.1:80"), in(RoleCanary, "b", "shop", "")}}, "topology.targets[2].ingress: is required"},
		// Both clusters of a blue/green hold the route: each reaches the other through its ingress.
		{Topology{Kind: BlueGreenClusters, Mesh: MeshSeparate, Targets: []Target{in(RoleActive, "a", "shop", ""), in(RolePassive, "b", "shop", "192.0.2.2:80")}}, "topology.targets[0].ingress: is required: with separate meshes the passive cluster (b) reaches the active target's services"},
		{Topology{Kind: BlueGreenClusters, Mesh: MeshSeparate, Targets: []Target{in(RoleActive, "a", "shop", "192.0.2.1:80"), in(RolePassive, "b", "shop", "192.0.2.2:80")}}, ""},
		{Topology{Kind: ActivePassiveCanaryNamespace, Mesh: MeshSeparate, Targets: []Target{in(RoleActive, "a", "shop", ""), in(RoleCanary, "a", "shop-canary", ""), in(RolePassive, "b", "shop", "192.0.2.2:80")}}, ""},
	}
	for _, tt := range tests {
		var l problemList
		tt.topo.validate(&l)
		var msgs []string
		for _, p := range l {
			msgs = append(msgs, p.String())
		}
		got := strings.Join(msgs, "\n")
		if tt.want == "" && got != "" {
			t.Errorf("validate(%+v) = %q, want no problems", tt.topo, got)
		}
		if tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("validate(%+v) = %q, want %q", tt.topo, got, tt.want)
		}
	}
}

func TestGatewayTarget(t *testing.T) {
	tg := func(role Role, cluster, ns, gw string) Target {
		return Target{Role: role, Cluster: cluster, Namespace: ns, Gateway: gw}
	}
	tests := []struct {
		gateway, stableGateway string
		want                   string // empty: valid
	}{
		{"istio-ingress/public", "", ""},
		{"public", "", ""},
		{"Public/x", "", `"Public/x" is not a Gateway name`},
		{"a/b/c", "", "is not a Gateway name"},
		{"", "public", "only a gateway target binds the route"},
	}
	for _, tt := range tests {
		topo := Topology{Kind: GatewayRoutedClusters, Targets: []Target{tg(RoleGateway, "edge", "gw", tt.gateway), tg(RoleStable, "a", "shop", tt.stableGateway), tg(RoleCanary, "b", "shop", "")}}
		var l problemList
		topo.validate(&l)
		var msgs []string
		for _, p := range l {
			msgs = append(msgs, p.String())
		}
		got := strings.Join(msgs, "\n")
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("validate(gateway %q, stable gateway %q) = %q, want %q", tt.gateway, tt.stableGateway, got, tt.want)
		}
	}
}

// TestTargetPrometheusURL: a target's Prometheus is an http(s) URL, never
// quoted back (it may carry credentials), and not on a gateway target.
func TestTargetPrometheusURL(t *testing.T) {
	tests := []struct {
		role Role
		url  string
		want string // empty: valid
	}{
		{RoleCanary, "http://prometheus.istio-system.canary.example:9090", ""},
		{RoleStable, "https://user:secret@prom.example", ""},
		{RoleCanary, "prom.example:9090", "topology.targets[2].prometheusURL: not an http or https URL"},
		{RoleCanary, "ftp://user:secret@prom.example", "topology.targets[2].prometheusURL: not an http or https URL"},
		{RoleCanary, "http://", "URL has no host"},
		{RoleGateway, "http://prom.edge.example", "topology.targets[0].prometheusURL: the gateway target runs no service of the release"},
	}
	for _, tt := range tests {
		targets := []Target{
			{Role: RoleGateway, Cluster: "edge", Namespace: "gw"},
			{Role: RoleStable, Cluster: "a", Namespace: "shop"},
			{Role: RoleCanary, Cluster: "b", Namespace: "shop"},
		}
		for i := range targets {
			if targets[i].Role == tt.role {
				targets[i].PrometheusURL = tt.url
			}
		}
		topo := Topology{Kind: GatewayRoutedClusters, Targets: targets}
		var msgs []string
		for _, p := range topo.Problems() {
			msgs = append(msgs, p.String())
		}
		got := strings.Join(msgs, "\n")
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("Problems(%s prometheusURL %q) = %q, want %q", tt.role, tt.url, got, tt.want)
		}
		if strings.Contains(got, "secret") {
			t.Errorf("Problems(%s prometheusURL %q) = %q quotes the credentials", tt.role, tt.url, got)
		}
	}
}
