package traffic_test

import (
	"fmt"

	"github.com/aviary-cd/aviary/pkg/traffic"
)

// A canary at 10% beside a stable version that runs in two clusters: the
// stable share is split evenly between them, the remainder to the first.
func ExampleDesired() {
	stable := []traffic.Destination{
		{Host: "cart.shop.svc.cluster.local", Subset: "stable"},
		{Host: "cart.shop.svc.east.global"},
	}
	canary := []traffic.Destination{{Host: "cart.shop.svc.cluster.local", Subset: "canary"}}
	weights, err := traffic.Desired(traffic.Split(10, stable, canary)...)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range weights {
		fmt.Printf("%3d%% %s\n", w.Weight, w.Destination)
	}
	// Output:
	//  45% cart.shop.svc.cluster.local#stable
	//  45% cart.shop.svc.east.global
	//  10% cart.shop.svc.cluster.local#canary
}

// A schedule re-run once the canary already has 25%: the steps below are
// skipped, so traffic never moves back.
func ExampleResume() {
	ahead, err := traffic.Resume(25, []int{10, 25, 50, 100})
	fmt.Println(ahead, err)
	// Output: [25 50 100] <nil>
}
