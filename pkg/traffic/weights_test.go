package traffic

import (
	"testing"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/google/go-cmp/cmp"
)

var (
	stable = Destination{Host: "cart", Subset: "stable"}
	canary = Destination{Host: "cart", Subset: "canary"}
	other  = Destination{Cluster: "east", Namespace: "shop", Host: "cart.shop.svc.cluster.local"}
)

func TestDesired(t *testing.T) {
	tests := []struct {
		name    string
		target  int
		dests   []Destination
		want    []Weighted
		invalid bool
	}{
		{"zero", 0, []Destination{stable, canary}, []Weighted{{stable, 100}, {canary, 0}}, false},
		{"ten", 10, []Destination{stable, canary}, []Weighted{{stable, 90}, {canary, 10}}, false},
		{"all", 100, []Destination{stable, canary}, []Weighted{{stable, 0}, {canary, 100}}, false},
		{"lone destination never gets zero", 0, []Destination{stable}, []Weighted{{stable, 100}}, false},
		{"lone destination ignores target", 35, []Destination{canary}, []Weighted{{canary, 100}}, false},
		{"two canaries split evenly, remainder to first", 25, []Destination{stable, canary, other}, []Weighted{{stable, 75}, {canary, 13}, {other, 12}}, false},
		{"150 is invalid", 150, []Destination{stable, canary}, nil, true},
		{"-1 is invalid", -1, []Destination{stable, canary}, nil, true},
		{"101 is invalid even alone", 101, []Destination{stable}, nil, true},
		{"no destination", 10, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Desired(tt.target, tt.dests)
			if tt.invalid {
				if outcome.KindOf(err) != outcome.KindInvalid {
					t.Fatalf("Desired(%d, %v) error = %v, want an Invalid error", tt.target, tt.dests, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Desired(%d, %v) error = %v", tt.target, tt.dests, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Desired(%d, %v) mismatch (-want +got):\n%s", tt.target, tt.dests, diff)
			}
			sum := 0
			for _, w := range got {
				sum += w.Weight
			}
			if sum != 100 {
				t.Errorf("Desired(%d, %v) sums to %d, want 100", tt.target, tt.dests, sum)
			}
		})
	}
}

// TestDesiredAlwaysSumsTo100 checks the invariant over every target and
// destination count.
func TestDesiredAlwaysSumsTo100(t *testing.T) {
	dests := []Destination{stable, canary, other, {Host: "x"}, {Host: "y"}}
	for n := 1; n <= len(dests); n++ {
		for target := 0; target <= 100; target++ {
			got, err := Desired(target, dests[:n])
			if err != nil {
				t.Fatalf("Desired(%d, %d dests) error = %v", target, n, err)
			}
			sum := 0
			for _, w := range got {
				if w.Weight < 0 {
					t.Errorf("Desired(%d, %d dests) gave %v a negative weight", target, n, w.Destination)
				}
				sum += w.Weight
			}
			if sum != 100 {
				t.Errorf("Desired(%d, %d dests) sums to %d, want 100", target, n, sum)
			}
		}
	}
}

func TestResume(t *testing.T) {
	tests := []struct {
		name     string
		current  int
		schedule []int
		want     []int
		invalid  bool
	}{
		{"fresh", 0, []int{5, 10, 25, 50}, []int{5, 10, 25, 50}, false},
		{"killed at 25 resumes at 25", 25, []int{5, 10, 25, 50}, []int{25, 50}, false},
		{"between steps", 12, []int{5, 10, 25, 50}, []int{25, 50}, false},
		{"past the end", 60, []int{5, 10, 25, 50}, nil, false},
		{"not increasing", 0, []int{5, 5}, nil, true},
		{"decreasing", 0, []int{50, 10}, nil, true},
		{"out of range", 0, []int{5, 150}, nil, true},
		{"negative", 0, []int{-1}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resume(tt.current, tt.schedule)
			if tt.invalid {
				if outcome.KindOf(err) != outcome.KindInvalid {
					t.Fatalf("Resume(%d, %v) error = %v, want an Invalid error", tt.current, tt.schedule, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resume(%d, %v) error = %v", tt.current, tt.schedule, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Resume(%d, %v) mismatch (-want +got):\n%s", tt.current, tt.schedule, diff)
			}
		})
	}
}

func TestDestinationString(t *testing.T) {
	if got, want := other.String(), "east/shop/cart.shop.svc.cluster.local"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := canary.String(), "cart#canary"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
