package topology

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

// TestRemoteFromEachPlace checks that across separate meshes each route
// place reaches a side in its own cluster locally and a side in another
// through that side's ingress: a gateway cluster reaches both sides
// remotely, and a blue/green switch's two route places disagree on how
// they reach the side switched to, but agree on its subsets.
func TestRemoteFromEachPlace(t *testing.T) {
	east := Side{Role: config.RoleStable, Location: Location{Context: "east", ClusterID: "c-east", Namespace: "shop"}, Ingress: "192.0.2.1:80"}
	west := Side{Role: config.RoleCanary, Location: Location{Context: "west", ClusterID: "c-west", Namespace: "shop"}, Ingress: "192.0.2.2:80"}
	gw := Location{Context: "gw", ClusterID: "c-gw", Namespace: "shop"}
	eastEntry := Entry{Service: "cart", Side: east, Host: "cart.shop.c-east.global", Address: "192.0.2.1:80", Subset: StableSubset}
	westEntry := Entry{Service: "cart", Side: west, Host: "cart.shop.c-west.global", Address: "192.0.2.2:80", Subset: CanarySubset}

	st, err := NewStrategy(config.RemoteHost, east, west, gw)
	if err != nil {
		t.Fatal(err)
	}
	want := State{
		Groups: traffic.Split(30, dest("cart.shop.c-east.global", ""), dest("cart.shop.c-west.global", "")),
		Rules: []Rule{
			{Cluster: "east", Namespace: "shop", Host: shopHost, Subsets: []traffic.Subset{sub("stable", VersionLabel, "1")}},
			{Cluster: "west", Namespace: "shop", Host: shopHost, Subsets: []traffic.Subset{sub("canary", VersionLabel, "2")}},
		},
		Entries: []Entry{eastEntry, westEntry},
	}
	if diff := cmp.Diff(want, CanaryState(st, "cart", "1", "2", 30)); diff != "" {
		t.Errorf("from the gateway cluster, CanaryState(cart, 1, 2, 30) (-want +got):\n%s", diff)
	}
	if got := eastEntry.Name(); got != "aviary-remote-cart-stable" {
		t.Errorf("Entry.Name() = %q, want aviary-remote-cart-stable", got)
	}

	// A blue/green switch to west, seen from each of the two clusters.
	fromWest, _ := NewStrategy(config.RemoteHost, west, east, west.Location)
	fromEast, _ := NewStrategy(config.RemoteHost, west, east, east.Location)
	westRule := Rule{Cluster: "west", Namespace: "shop", Host: shopHost, Subsets: []traffic.Subset{sub("stable", VersionLabel, "2")}}
	eastRule := Rule{Cluster: "east", Namespace: "shop", Host: shopHost}
	tests := []struct {
		from string
		st   Strategy
		want State
	}{
		{"west", fromWest, State{Groups: []traffic.Group{{Weight: 100, Destinations: dest(shopHost, "stable")}}, Rules: []Rule{westRule, eastRule}}},
		{"east", fromEast, State{
			Groups:  []traffic.Group{{Weight: 100, Destinations: dest("cart.shop.c-west.global", "")}},
			Rules:   []Rule{westRule, eastRule},
			Entries: []Entry{{Service: "cart", Side: west, Host: "cart.shop.c-west.global", Address: "192.0.2.2:80", Subset: StableSubset}},
		}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, StableState(tt.st, "cart", "2")); diff != "" {
			t.Errorf("from %s, StableState(cart, 2) (-want +got):\n%s", tt.from, diff)
		}
	}
}

// TestSwitchStrategyAcrossMeshes checks that a stepped switch across
// separate meshes reaches each side through its ingress at its stable
// subset from the first weight to the end: the side switched to is at
// stable from the other cluster while it plays the canary's part (its own
// route naming it canary), and stays there once the switch completes, so
// that its ingress gateway's route never changes subset. Both route places
// agree on every rule.
func TestSwitchStrategyAcrossMeshes(t *testing.T) {
	east := Side{Role: config.RoleActive, Location: Location{Context: "east", ClusterID: "c-east", Namespace: "shop"}, Ingress: "192.0.2.1:80"}
	west := Side{Role: config.RolePassive, Location: Location{Context: "west", ClusterID: "c-west", Namespace: "shop"}, Ingress: "192.0.2.2:80"}
	eastEntry := Entry{Service: "cart", Side: east, Host: "cart.shop.c-east.global", Address: "192.0.2.1:80", Subset: StableSubset}
	westEntry := Entry{Service: "cart", Side: west, Host: "cart.shop.c-west.global", Address: "192.0.2.2:80", Subset: StableSubset}
	strategy := func(serving, other Side, at Location) Strategy {
		t.Helper()
		st, err := SwitchStrategy(config.RemoteHost, serving, other, at)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	eastRule := func(subsets ...traffic.Subset) Rule {
		return Rule{Cluster: "east", Namespace: "shop", Host: shopHost, Subsets: subsets}
	}
	westRule := func(subsets ...traffic.Subset) Rule {
		return Rule{Cluster: "west", Namespace: "shop", Host: shopHost, Subsets: subsets}
	}

	// Switching from east (1) to west (2) at 30 %.
	tests := []struct {
		from string
		got  State
		want State
	}{
		{"east", CanaryState(strategy(east, west, east.Location), "cart", "1", "2", 30), State{
			Groups:  traffic.Split(30, dest(shopHost, "stable"), dest("cart.shop.c-west.global", "")),
			Rules:   []Rule{eastRule(sub("stable", VersionLabel, "1")), westRule(sub("stable", VersionLabel, "2"))},
			Entries: []Entry{westEntry},
		}},
		{"west", CanaryState(strategy(east, west, west.Location), "cart", "1", "2", 30), State{
			Groups:  traffic.Split(30, dest("cart.shop.c-east.global", ""), dest(shopHost, "canary")),
			Rules:   []Rule{eastRule(sub("stable", VersionLabel, "1")), westRule(sub("canary", VersionLabel, "2"))},
			Entries: []Entry{eastEntry},
		}},
		// Promote: all to west, which east still reaches at stable.
		{"east, promoted", StableState(strategy(west, east, east.Location), "cart", "2"), State{
			Groups:  []traffic.Group{{Weight: 100, Destinations: dest("cart.shop.c-west.global", "")}},
			Rules:   []Rule{westRule(sub("stable", VersionLabel, "2")), eastRule()},
			Entries: []Entry{westEntry},
		}},
		// Rolled back: all to east, which west reaches at stable.
		{"west, rolled back", StableState(strategy(east, west, west.Location), "cart", "1"), State{
			Groups:  []traffic.Group{{Weight: 100, Destinations: dest("cart.shop.c-east.global", "")}},
			Rules:   []Rule{eastRule(sub("stable", VersionLabel, "1")), westRule()},
			Entries: []Entry{eastEntry},
		}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.got); diff != "" {
			t.Errorf("from %s (-want +got):\n%s", tt.from, diff)
		}
	}

	// One mesh: SwitchStrategy is NewStrategy.
	one, _ := SwitchStrategy(config.ClusterSubsets, east, west, east.Location)
	two, _ := NewStrategy(config.ClusterSubsets, east, west, east.Location)
	if diff := cmp.Diff(CanaryState(two, "cart", "1", "2", 30), CanaryState(one, "cart", "1", "2", 30)); diff != "" {
		t.Errorf("SwitchStrategy(cluster-subsets) differs from NewStrategy (-want +got):\n%s", diff)
	}
}
