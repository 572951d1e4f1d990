package topology

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

// TestSwitched: once active-passive-canary-namespace has switched to its
// passive cluster, its canary half runs there, and with one mesh each
// namespace's subsets select the serving cluster's ID.
func TestSwitched(t *testing.T) {
	p, err := Place(config.Topology{Kind: config.ActivePassiveCanaryNamespace, Targets: []config.Target{
		target(config.RoleActive, "east", "shop"), target(config.RoleCanary, "east", "shop-canary"), target(config.RolePassive, "west", "shop"),
	}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := p.Switched(config.RoleActive); ok {
		t.Errorf("Switched(active) = ok, want the placement's own sides")
	}
	stable, canary, ok := p.Switched(config.RolePassive)
	if !ok || stable.Role != config.RolePassive || canary.Context != "west" || canary.Namespace != "shop-canary" || canary.Role != config.RoleCanary {
		t.Fatalf("Switched(passive) = %+v, %+v, %v; want the passive side and the canary namespace in cluster west", stable, canary, ok)
	}
	st, err := p.CanaryStrategy(stable, canary, p.Home())
	if err != nil {
		t.Fatal(err)
	}
	want := State{
		Groups: traffic.Split(20, dest(shopHost, "stable"), dest(canaryHost, "canary")),
		Rules: []Rule{
			{Cluster: "east", Namespace: "shop", Host: shopHost, Subsets: []traffic.Subset{sub("stable", ClusterLabel, "west", VersionLabel, "1")}},
			{Cluster: "east", Namespace: "shop-canary", Host: canaryHost, Subsets: []traffic.Subset{sub("canary", ClusterLabel, "west", VersionLabel, "2")}},
		},
	}
	if diff := cmp.Diff(want, CanaryState(st, "cart", "1", "2", 20)); diff != "" {
		t.Errorf("CanaryState after the switch (-want +got):\n%s", diff)
	}
}
