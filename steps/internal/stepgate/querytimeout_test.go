package stepgate

import (
	"testing"
	"time"

	"github.com/aviary-cd/aviary/pkg/stall"
)

func TestQueryTimeout(t *testing.T) {
	tests := []struct {
		request, interval, want time.Duration
	}{
		{30 * time.Second, 30 * time.Second, 7500 * time.Millisecond},
		{5 * time.Second, time.Minute, 5 * time.Second},
		{0, 4 * time.Minute, stall.DefaultTimeout},
		{2 * time.Second, 0, 2 * time.Second},
	}
	for _, tt := range tests {
		if got := queryTimeout(tt.request, tt.interval); got != tt.want {
			t.Errorf("queryTimeout(%s, %s) = %s, want %s", tt.request, tt.interval, got, tt.want)
		}
	}
}
