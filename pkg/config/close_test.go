package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// givenAnalysis sets every field of the analysis section that has a default.
var givenAnalysis = Analysis{Interval: Duration{Duration: time.Second}, Measurements: 10, FailureLimit: 2}

func TestClose(t *testing.T) {
	tests := []struct {
		name string
		in   Canary
		want Canary
	}{
		{
			"all defaults",
			Canary{},
			Canary{Steps: []int{5, 10, 25, 50}, Pause: Duration{Duration: 30 * time.Second},
				Analysis: Analysis{}.WithDefaults()},
		},
		{
			"given values kept",
			Canary{Steps: []int{20, 60}, Pause: Duration{Duration: time.Minute}, InitialWeight: 10,
				Analysis: givenAnalysis},
			Canary{Steps: []int{20, 60}, Pause: Duration{Duration: time.Minute}, InitialWeight: 10,
				Analysis: givenAnalysis.WithDefaults()},
		},
		{
			"default steps start above the initial weight",
			Canary{InitialWeight: 10},
			Canary{Steps: []int{25, 50}, Pause: Duration{Duration: 30 * time.Second}, InitialWeight: 10,
				Analysis: Analysis{}.WithDefaults()},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Canary: tt.in}
			got := c.Close()
			if diff := cmp.Diff(tt.want, got.Canary); diff != "" {
				t.Errorf("Close().Canary (-want +got):\n%s", diff)
			}
			if len(got.Canary.Steps) > 0 && len(tt.in.Steps) > 0 && &got.Canary.Steps[0] == &tt.in.Steps[0] {
				t.Error("Close() shares the steps slice with its receiver")
			}
			var l problemList
			got.Canary.validate(&l)
			if len(l) > 0 {
				t.Errorf("Close() gives an invalid policy: %v", l)
			}
		})
	}
}
