package main

import (
	"testing"
	"time"
)

// TestPause: the pause input wins when given (0 included); unset, the
// release config's canary.pause applies, else 30s. The adapters leave the
// input empty by default, which is unset: with a default of 30s in
// action.yml the config's pause never applied.
func TestPause(t *testing.T) {
	tests := []struct {
		set           bool
		given, config time.Duration
		want          time.Duration
	}{
		{set: true, given: 5 * time.Second, config: time.Minute, want: 5 * time.Second},
		{set: true, given: 0, config: time.Minute, want: 0},
		{set: false, config: time.Minute, want: time.Minute},
		{set: false, want: 30 * time.Second},
	}
	for _, tt := range tests {
		if got := pause(tt.set, tt.given, tt.config); got != tt.want {
			t.Errorf("pause(set %v, %s, config %s) = %s, want %s", tt.set, tt.given, tt.config, got, tt.want)
		}
	}
}
