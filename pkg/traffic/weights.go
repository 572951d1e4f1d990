package traffic

import (
	"fmt"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// Destination is one place a service's requests can go: a mesh host and,
// optionally, a subset of it. Where the workloads behind it run is the
// topology's business, not the route's.
type Destination struct {
	// Host is the mesh host name, fully qualified
	// (<service>.<namespace>.svc.cluster.local) or a ServiceEntry's host.
	Host string `json:"host"`
	// Subset is a DestinationRule subset of Host; empty for none.
	Subset string `json:"subset,omitempty"`
}

func (d Destination) String() string {
	if d.Subset != "" {
		return d.Host + "#" + d.Subset
	}
	return d.Host
}

// Weighted is a destination and its share of requests in percent.
type Weighted struct {
	Destination Destination `json:"destination"`
	Weight      int         `json:"weight"`
}

// CheckWeight reports whether w is a valid weight in percent.
func CheckWeight(w int) error {
	if w < 0 || w > 100 {
		return outcome.Invalidf("weight %d is out of range: use a whole percentage from 0 to 100", w)
	}
	return nil
}

// Group is destinations that share one weight: the stable side of a
// service (one destination, or one per cluster it runs in), or its canaries.
type Group struct {
	Weight       int
	Destinations []Destination
}

// Split returns the two groups of a canary at weight percent: stable gets
// the rest.
func Split(weight int, stable, canary []Destination) []Group {
	return []Group{{Weight: 100 - weight, Destinations: stable}, {Weight: weight, Destinations: canary}}
}

// Desired returns the weights of a route that gives each group its weight,
// split evenly among the group's destinations, the remainder going to the
// first. The weights must add up to 100, except that a route with one
// destination in all gives it 100 whatever its group says. A group without
// destinations may only have weight 0 and is left out. A weight outside
// 0..100, weights not adding up to 100, or no destination at all is an
// Invalid error.
func Desired(groups ...Group) ([]Weighted, error) {
	total, count := 0, 0
	for _, g := range groups {
		if err := CheckWeight(g.Weight); err != nil {
			return nil, err
		}
		total += g.Weight
		count += len(g.Destinations)
	}
	switch count {
	case 0:
		return nil, outcome.Invalidf("no destination to route to")
	case 1:
		for _, g := range groups {
			if len(g.Destinations) == 1 {
				return []Weighted{{Destination: g.Destinations[0], Weight: 100}}, nil
			}
		}
	}
	for _, g := range groups {
		if len(g.Destinations) == 0 && g.Weight > 0 {
			return nil, outcome.Invalidf("%d%% of the traffic has no destination", g.Weight)
		}
	}
	if total != 100 {
		return nil, outcome.Invalidf("weights add up to %d%%, not 100%%", total)
	}
	out := make([]Weighted, 0, count)
	for _, g := range groups {
		n := len(g.Destinations)
		if n == 0 {
			continue
		}
		share, rest := g.Weight/n, g.Weight%n
		for i, d := range g.Destinations {
			w := share
			if i == 0 {
				w += rest
			}
			out = append(out, Weighted{Destination: d, Weight: w})
		}
	}
	return out, nil
}

// WeightOf returns the weight given to the destinations match accepts, 0
// when none does.
func WeightOf(ws []Weighted, match func(Destination) bool) int {
	total := 0
	for _, w := range ws {
		if match(w.Destination) {
			total += w.Weight
		}
	}
	return total
}

// Resume returns the steps of a weight schedule still ahead when the canary
// already has current percent: steps below current were walked by an earlier
// run and are skipped, so that re-running a schedule never moves traffic
// back. The schedule must be strictly increasing and within 0..100.
func Resume(current int, schedule []int) ([]int, error) {
	for i, w := range schedule {
		if err := CheckWeight(w); err != nil {
			return nil, fmt.Errorf("step %d of the schedule: %w", i+1, err)
		}
		if i > 0 && w <= schedule[i-1] {
			return nil, outcome.Invalidf("steps must increase: step %d (%d) is not above step %d (%d)", i+1, w, i, schedule[i-1])
		}
	}
	var ahead []int
	for _, w := range schedule {
		if w >= current {
			ahead = append(ahead, w)
		}
	}
	return ahead, nil
}
