package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestClose(t *testing.T) {
	tests := []struct {
		name string
		in   Canary
		want Canary
	}{
		{
			"all defaults",
			Canary{},
			Canary{Steps: []int{5, 10, 25, 50}, Pause: Duration{30 * time.Second},
				Analysis: Analysis{Interval: Duration{30 * time.Second}, Measurements: 3, MinRequests: 20, SuccessRate: 0.99, P99LatencyMs: 500}},
		},
		{
			"given values kept",
			Canary{Steps: []int{20, 60}, Pause: Duration{time.Minute}, InitialWeight: 10,
				Analysis: Analysis{Interval: Duration{time.Second}, Measurements: 10, FailureLimit: 2, MinRequests: 1, SuccessRate: 0.9, P99LatencyMs: 50}},
			Canary{Steps: []int{20, 60}, Pause: Duration{time.Minute}, InitialWeight: 10,
				Analysis: Analysis{Interval: Duration{time.Second}, Measurements: 10, FailureLimit: 2, MinRequests: 1, SuccessRate: 0.9, P99LatencyMs: 50}},
		},
		{
			"default steps start above the initial weight",
			Canary{InitialWeight: 10},
			Canary{Steps: []int{25, 50}, Pause: Duration{30 * time.Second}, InitialWeight: 10,
				Analysis: Analysis{Interval: Duration{30 * time.Second}, Measurements: 3, MinRequests: 20, SuccessRate: 0.99, P99LatencyMs: 500}},
		},
		{
			"measurements above a given failure limit",
			Canary{Analysis: Analysis{FailureLimit: 4}},
			Canary{Steps: []int{5, 10, 25, 50}, Pause: Duration{30 * time.Second},
				Analysis: Analysis{Interval: Duration{30 * time.Second}, Measurements: 5, FailureLimit: 4, MinRequests: 20, SuccessRate: 0.99, P99LatencyMs: 500}},
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
