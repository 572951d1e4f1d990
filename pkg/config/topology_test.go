package config

import (
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
		{CanaryNamespace, []Target{tg(RoleStable, "", "shop"), tg(RoleCanary, "", "shop-canary")}, ""},
		{CanaryNamespace, []Target{tg(RoleStable, "", "shop"), tg(RoleCanary, "", "shop")}, "different namespaces or clusters"},
		{BlueGreenClusters, []Target{tg(RoleActive, "blue", "shop"), tg(RolePassive, "green", "shop")}, ""},
		{BlueGreenClusters, []Target{tg(RoleActive, "blue", "shop"), tg(RolePassive, "green", "shop"), tg(RoleGateway, "edge", "gw")}, ""},
		{BlueGreenClusters, []Target{tg(RoleActive, "blue", "shop"), tg(RolePassive, "blue", "shop")}, "different clusters"},
		{DeltaCanaryCluster, []Target{tg(RoleStable, "prod", "shop"), tg(RoleCanary, "canary", "shop")}, ""},
		{RebuiltCanaryCluster, []Target{tg(RoleStable, "prod", "shop"), tg(RoleCanary, "canary", "shop")}, ""},
		{RebuiltCanaryCluster, []Target{tg(RoleStable, "prod", "shop")}, "missing canary"},
		{ActivePassiveCanaryNamespace, []Target{tg(RoleActive, "", "shop-a"), tg(RolePassive, "", "shop-b")}, ""},
		{ActivePassiveCanaryNamespace, []Target{tg(RoleActive, "", "shop-a"), tg(RolePassive, "", "shop-b"), tg(RoleCanary, "", "x")}, "takes no canary target"},
		{GatewayRoutedClusters, []Target{tg(RoleGateway, "edge", "gw"), tg(RoleStable, "a", "shop"), tg(RoleCanary, "b", "shop")}, ""},
		{GatewayRoutedClusters, []Target{tg(RoleStable, "a", "shop"), tg(RoleCanary, "b", "shop")}, "missing gateway"},
		{SingleCluster, []Target{tg("primary", "", "shop")}, `"primary" is not a role`},
		{SingleCluster, []Target{tg(RoleRelease, "", "Shop_1")}, "not a DNS-1123 label"},
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
