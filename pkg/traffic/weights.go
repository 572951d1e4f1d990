package traffic

import (
	"fmt"
	"strings"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// Destination is one place a service's requests can go. In one cluster and
// namespace two versions differ only by Subset; across namespaces or
// clusters they differ by Namespace, Host or Cluster.
type Destination struct {
	// Cluster is the kubeconfig context or logical cluster name; empty is
	// the cluster the route lives in.
	Cluster string `json:"cluster,omitempty"`
	// Namespace the workload runs in.
	Namespace string `json:"namespace,omitempty"`
	// Host is the mesh host name: a Service name, or its fully qualified
	// name when it lives in another namespace or cluster.
	Host string `json:"host"`
	// Subset is a DestinationRule subset of Host; empty for none.
	Subset string `json:"subset,omitempty"`
}

func (d Destination) String() string {
	var b strings.Builder
	if d.Cluster != "" {
		b.WriteString(d.Cluster + "/")
	}
	if d.Namespace != "" {
		b.WriteString(d.Namespace + "/")
	}
	b.WriteString(d.Host)
	if d.Subset != "" {
		b.WriteString("#" + d.Subset)
	}
	return b.String()
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

// Desired returns the weights that send target percent of requests to the
// canaries and the rest to the stable destination, dests[0]. With several
// canaries target is split evenly among them, the remainder going to the
// first. The result always adds up to 100 and a lone destination gets 100,
// whatever target says. An empty dests or a target outside 0..100 is an
// Invalid error.
func Desired(target int, dests []Destination) ([]Weighted, error) {
	if len(dests) == 0 {
		return nil, outcome.Invalidf("no destination to route to")
	}
	if err := CheckWeight(target); err != nil {
		return nil, err
	}
	if len(dests) == 1 {
		return []Weighted{{Destination: dests[0], Weight: 100}}, nil
	}
	canaries := len(dests) - 1
	out := make([]Weighted, len(dests))
	out[0] = Weighted{Destination: dests[0], Weight: 100 - target}
	share, rest := target/canaries, target%canaries
	for i, d := range dests[1:] {
		w := share
		if i == 0 {
			w += rest
		}
		out[i+1] = Weighted{Destination: d, Weight: w}
	}
	return out, nil
}

// WeightOf returns the weight given to the destination with the given subset
// or host, or 0 when none matches.
func WeightOf(ws []Weighted, match func(Destination) bool) int {
	total := 0
	for _, w := range ws {
		if match(w.Destination) {
			total += w.Weight
		}
	}
	return total
}

// Equal reports whether a and b route the same: same destinations with the
// same weights, in the same order.
func Equal(a, b []Weighted) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
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
