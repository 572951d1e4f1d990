package topology_test

import (
	"fmt"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/topology"
)

// canaryNamespace is the topology of the examples: stable in shop, the
// canaries in shop-canary.
var canaryNamespace = config.Topology{
	Kind: config.CanaryNamespace,
	Targets: []config.Target{
		{Role: config.RoleStable, Namespace: "shop"},
		{Role: config.RoleCanary, Namespace: "shop-canary"},
	},
}

// The canary-namespace topology puts the canaries in a namespace of their
// own beside the stable one, in the step's cluster; the route objects live
// with stable.
func ExamplePlace() {
	p, err := topology.Place(canaryNamespace, topology.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range p.Sides {
		fmt.Printf("%s side in %s plays %v\n", s.Role, s.Location, s.Parts)
	}
	fmt.Println("routes in", p.Routes, "canary told apart by", p.Canary)
	// Output:
	// stable side in shop plays [stable]
	// canary side in shop-canary plays [canary]
	// routes in [shop] canary told apart by host-per-namespace
}

// What the route of a service says with its canary at 10%, in the
// canary-namespace topology: each version is reached through the host of
// its namespace.
func ExampleCanaryState() {
	p, err := topology.Place(canaryNamespace, topology.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	stable, _ := p.Side(config.RoleStable)
	canary, _ := p.Side(config.RoleCanary)
	st, err := topology.NewStrategy(p.Canary, stable, canary, p.Home())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, g := range topology.CanaryState(st, "cart", "1.0.0", "1.1.0", 10).Groups {
		fmt.Printf("%3d%% %v\n", g.Weight, g.Destinations)
	}
	// Output:
	//  90% [cart.shop.svc.cluster.local#stable]
	//  10% [cart.shop-canary.svc.cluster.local#canary]
}
