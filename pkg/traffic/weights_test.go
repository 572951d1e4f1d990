package traffic

import (
	"testing"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/google/go-cmp/cmp"
)

var (
	stable = Destination{Host: "cart.shop.svc.cluster.local", Subset: "stable"}
	canary = Destination{Host: "cart.shop.svc.cluster.local", Subset: "canary"}
	other  = Destination{Host: "cart.shop-canary.svc.cluster.local"}
	east   = Destination{Host: "cart.shop.svc.cluster.local", Subset: "east"}
)

func TestDesired(t *testing.T) {
	tests := []struct {
		name    string
		groups  []Group
		want    []Weighted
		invalid bool
	}{
		{"zero", Split(0, []Destination{stable}, []Destination{canary}), []Weighted{{stable, 100}, {canary, 0}}, false},
		{"ten", Split(10, []Destination{stable}, []Destination{canary}), []Weighted{{stable, 90}, {canary, 10}}, false},
		{"all", Split(100, []Destination{stable}, []Destination{canary}), []Weighted{{stable, 0}, {canary, 100}}, false},
		{"lone destination never gets zero", []Group{{0, []Destination{stable}}}, []Weighted{{stable, 100}}, false},
		{"lone destination ignores its weight", Split(35, nil, []Destination{canary}), []Weighted{{canary, 100}}, false},
		{"empty group at zero is left out", Split(0, []Destination{stable, east}, nil), []Weighted{{stable, 50}, {east, 50}}, false},
		{"two canaries split evenly, remainder to first", Split(25, []Destination{stable}, []Destination{canary, other}), []Weighted{{stable, 75}, {canary, 13}, {other, 12}}, false},
		{"stable in two clusters", Split(10, []Destination{stable, east}, []Destination{other}), []Weighted{{stable, 45}, {east, 45}, {other, 10}}, false},
		{"three groups", []Group{{50, []Destination{stable}}, {30, []Destination{east}}, {20, []Destination{other}}}, []Weighted{{stable, 50}, {east, 30}, {other, 20}}, false},
		{"150 is invalid", Split(150, []Destination{stable}, []Destination{canary}), nil, true},
		{"-1 is invalid", Split(-1, []Destination{stable}, []Destination{canary}), nil, true},
		{"weights not adding up to 100", []Group{{50, []Destination{stable}}, {30, []Destination{canary}}}, nil, true},
		{"weight without destinations", Split(10, []Destination{stable, east}, nil), nil, true},
		{"no destination", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Desired(tt.groups...)
			if tt.invalid {
				if outcome.KindOf(err) != outcome.KindInvalid {
					t.Fatalf("Desired(%v) error = %v, want an Invalid error", tt.groups, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Desired(%v) error = %v", tt.groups, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Desired(%v) mismatch (-want +got):\n%s", tt.groups, diff)
			}
		})
	}
}

// TestDesiredAlwaysSumsTo100 checks the invariant over every weight and
// number of stable and canary destinations.
func TestDesiredAlwaysSumsTo100(t *testing.T) {
	dests := []Destination{stable, canary, other, east, {Host: "x"}}
	for ns := 1; ns <= 2; ns++ {
		for nc := 1; nc <= 3; nc++ {
			for w := 0; w <= 100; w++ {
				got, err := Desired(Split(w, dests[:ns], dests[ns:ns+nc])...)
				if err != nil {
					t.Fatalf("Desired(%d, %d+%d dests) error = %v", w, ns, nc, err)
				}
				sum := 0
				for _, x := range got {
					if x.Weight < 0 {
						t.Errorf("Desired(%d, %d+%d dests) gave %v a negative weight", w, ns, nc, x.Destination)
					}
					sum += x.Weight
				}
				if sum != 100 {
					t.Errorf("Desired(%d, %d+%d dests) sums to %d, want 100", w, ns, nc, sum)
				}
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
	if got, want := other.String(), "cart.shop-canary.svc.cluster.local"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := canary.String(), "cart.shop.svc.cluster.local#canary"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
