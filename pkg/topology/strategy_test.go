package topology

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/traffic"
)

func side(ctx, id, ns string) Side {
	return Side{Location: Location{Context: ctx, ClusterID: id, Namespace: ns}}
}

func sub(name string, labels ...string) traffic.Subset {
	m := map[string]string{}
	for i := 0; i < len(labels); i += 2 {
		m[labels[i]] = labels[i+1]
	}
	return traffic.Subset{Name: name, Labels: m}
}

func dest(host, subset string) []traffic.Destination {
	return []traffic.Destination{{Host: host, Subset: subset}}
}

// remoteSide is a side of role canary reached through its ingress
// gateway at 192.0.2.1:8080.
func remoteSide(ctx, id, ns string) Side {
	s := side(ctx, id, ns)
	s.Role, s.Ingress = config.RoleCanary, "192.0.2.1:8080"
	return s
}

var westEntry = Entry{Service: "cart", Side: remoteSide("west", "c-west", "shop"), Host: "cart.shop.c-west.global", Address: "192.0.2.1:8080", Subset: "canary"}

const (
	shopHost   = "cart.shop.svc.cluster.local"
	canaryHost = "cart.shop-canary.svc.cluster.local"
)

// TestStates checks, for every separation, the route a canary at 20%
// has, the route once stable, and the promotion between them.
func TestStates(t *testing.T) {
	tests := []struct {
		sep            config.Separation
		stable, canary Side
		canaryAt20     State
		promote        []State
	}{
		{
			sep: config.VersionSubsets, stable: side("", "", "shop"), canary: side("", "", "shop"),
			canaryAt20: State{
				Groups: traffic.Split(20, dest(shopHost, "stable"), dest(shopHost, "canary")),
				Rules:  []Rule{{Namespace: "shop", Host: shopHost, Subsets: []traffic.Subset{sub("stable", VersionLabel, "1"), sub("canary", VersionLabel, "2")}}},
			},
			promote: []State{
				{Rules: []Rule{{Namespace: "shop", Host: shopHost, Subsets: []traffic.Subset{sub("stable", VersionLabel, "2"), sub("canary", VersionLabel, "2")}}}},
				{
					Groups: []traffic.Group{{Weight: 100, Destinations: dest(shopHost, "stable")}},
					Rules:  []Rule{{Namespace: "shop", Host: shopHost, Subsets: []traffic.Subset{sub("stable", VersionLabel, "2")}}},
				},
			},
		},
		{
			sep: config.HostPerNamespace, stable: side("", "", "shop"), canary: side("", "", "shop-canary"),
			canaryAt20: State{
				Groups: traffic.Split(20, dest(shopHost, "stable"), dest(canaryHost, "canary")),
				Rules: []Rule{
					{Namespace: "shop", Host: shopHost, Subsets: []traffic.Subset{sub("stable", VersionLabel, "1")}},
					{Namespace: "shop-canary", Host: canaryHost, Subsets: []traffic.Subset{sub("canary", VersionLabel, "2")}},
				},
			},
			promote: []State{
				{Rules: []Rule{
					{Namespace: "shop", Host: shopHost, Subsets: []traffic.Subset{sub("stable", VersionLabel, "2")}},
					{Namespace: "shop-canary", Host: canaryHost, Subsets: []traffic.Subset{sub("canary", VersionLabel, "2")}},
				}},
				{
					Groups: []traffic.Group{{Weight: 100, Destinations: dest(shopHost, "stable")}},
					Rules: []Rule{
						{Namespace: "shop", Host: shopHost, Subsets: []traffic.Subset{sub("stable", VersionLabel, "2")}},
						{Namespace: "shop-canary", Host: canaryHost},
					},
				},
			},
		},
		{
			sep: config.ClusterSubsets, stable: side("east", "c-east", "shop"), canary: side("west", "c-west", "shop"),
			canaryAt20: State{
				Groups: traffic.Split(20, dest(shopHost, "stable"), dest(shopHost, "canary")),
				Rules: []Rule{{Cluster: "east", Namespace: "shop", Host: shopHost, Subsets: []traffic.Subset{
					sub("stable", ClusterLabel, "c-east", VersionLabel, "1"), sub("canary", ClusterLabel, "c-west", VersionLabel, "2"),
				}}},
			},
			promote: []State{
				{Rules: []Rule{{Cluster: "east", Namespace: "shop", Host: shopHost, Subsets: []traffic.Subset{
					sub("stable", ClusterLabel, "c-east", VersionLabel, "2"), sub("canary", ClusterLabel, "c-west", VersionLabel, "2"),
				}}}},
				{
					Groups: []traffic.Group{{Weight: 100, Destinations: dest(shopHost, "stable")}},
					Rules:  []Rule{{Cluster: "east", Namespace: "shop", Host: shopHost, Subsets: []traffic.Subset{sub("stable", ClusterLabel, "c-east", VersionLabel, "2")}}},
				},
			},
		},
		{
			sep: config.RemoteHost, stable: side("east", "c-east", "shop"), canary: remoteSide("west", "c-west", "shop"),
			canaryAt20: State{
				Groups: traffic.Split(20, dest(shopHost, "stable"), dest("cart.shop.c-west.global", "")),
				Rules: []Rule{
					{Cluster: "east", Namespace: "shop", Host: shopHost, Subsets: []traffic.Subset{sub("stable", VersionLabel, "1")}},
					{Cluster: "west", Namespace: "shop", Host: shopHost, Subsets: []traffic.Subset{sub("canary", VersionLabel, "2")}},
				},
				Entries: []Entry{westEntry},
			},
			promote: []State{
				{
					Rules: []Rule{
						{Cluster: "east", Namespace: "shop", Host: shopHost, Subsets: []traffic.Subset{sub("stable", VersionLabel, "2")}},
						{Cluster: "west", Namespace: "shop", Host: shopHost, Subsets: []traffic.Subset{sub("canary", VersionLabel, "2")}},
					},
					Entries: []Entry{westEntry},
				},
				{
					Groups: []traffic.Group{{Weight: 100, Destinations: dest(shopHost, "stable")}},
					Rules: []Rule{
						{Cluster: "east", Namespace: "shop", Host: shopHost, Subsets: []traffic.Subset{sub("stable", VersionLabel, "2")}},
						{Cluster: "west", Namespace: "shop", Host: shopHost},
					},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(string(tt.sep), func(t *testing.T) {
			st, err := NewStrategy(tt.sep, tt.stable, tt.canary, tt.stable.Location)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.canaryAt20, CanaryState(st, "cart", "1", "2", 20)); diff != "" {
				t.Errorf("CanaryState(cart, 1, 2, 20) (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.promote, PromoteStates(st, "cart", "2")); diff != "" {
				t.Errorf("PromoteStates(cart, 2) (-want +got):\n%s", diff)
			}
			// Every state's weights add up.
			for _, s := range append([]State{CanaryState(st, "cart", "1", "2", 20)}, tt.promote...) {
				if s.Groups == nil {
					continue
				}
				if _, err := traffic.Desired(s.Groups...); err != nil {
					t.Errorf("state %+v: %v", s, err)
				}
			}
		})
	}
}

func TestOwned(t *testing.T) {
	got := Owned([]traffic.Subset{sub("debug", "x", "y"), sub("stable", VersionLabel, "1")})
	if diff := cmp.Diff(map[string]map[string]string{"stable": {VersionLabel: "1"}}, got); diff != "" {
		t.Errorf("Owned (-want +got):\n%s", diff)
	}
}
