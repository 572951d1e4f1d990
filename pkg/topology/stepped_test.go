package topology

import (
	"testing"

	"github.com/aviary-cd/aviary/pkg/config"
)

func TestSteppedSwitch(t *testing.T) {
	place := func(topo config.Topology) Placement {
		t.Helper()
		p, err := Place(topo, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	bgc := place(config.Topology{Kind: config.BlueGreenClusters, Targets: []config.Target{target(config.RoleActive, "east", "shop"), target(config.RolePassive, "west", "shop")}})
	bgns := place(config.Topology{Kind: config.BlueGreenNamespaces, Targets: []config.Target{target(config.RoleActive, "", "blue"), target(config.RolePassive, "", "green")}})
	apcn := place(config.Topology{Kind: config.ActivePassiveCanaryNamespace, Targets: []config.Target{target(config.RoleActive, "east", "shop"), target(config.RoleCanary, "east", "shop-canary"), target(config.RolePassive, "west", "shop")}})
	single := place(config.Topology{Kind: config.SingleCluster, Targets: []config.Target{target(config.RoleRelease, "", "shop")}})
	for _, tt := range []struct {
		p    Placement
		want bool
	}{{bgc, true}, {bgns, true}, {apcn, false}, {single, false}} {
		if got := tt.p.SteppedSwitch(); got != tt.want {
			t.Errorf("%s.SteppedSwitch() = %v, want %v", tt.p.Kind, got, tt.want)
		}
	}
	if o, ok := bgc.Other(config.RoleActive); !ok || o.Role != config.RolePassive {
		t.Errorf("Other(active) = %v, %v; want the passive side", o.Role, ok)
	}
	if o, ok := bgns.Other(config.RolePassive); !ok || o.Role != config.RoleActive {
		t.Errorf("Other(passive) = %v, %v; want the active side", o.Role, ok)
	}
	if _, ok := bgc.Other(config.RoleCanary); ok {
		t.Errorf("Other(canary) of %s is a side, want none", bgc.Kind)
	}
}
