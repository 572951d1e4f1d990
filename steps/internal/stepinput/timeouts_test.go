package stepinput

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/stall"
	"github.com/aviary-cd/aviary/pkg/step"
)

func TestReadTimeouts(t *testing.T) {
	tests := []struct {
		name    string
		in      inputs
		want    Timeouts
		wantErr string
	}{
		{"given", inputs{"request-timeout": "5s", "step-timeout": "10m"}, Timeouts{Request: 5 * time.Second, Step: 10 * time.Minute}, ""},
		{"request 0 takes the default", inputs{"request-timeout": "0s"}, Timeouts{Request: stall.DefaultTimeout}, ""},
		{"negative request", inputs{"request-timeout": "-1s"}, Timeouts{}, "request-timeout -1s"},
		{"negative step", inputs{"step-timeout": "-1m"}, Timeouts{}, "step-timeout -1m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadTimeouts(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || outcome.KindOf(err) != outcome.KindInvalid {
					t.Fatalf("ReadTimeouts() error = %v, want invalid %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ReadTimeouts() = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

var boundedStep = step.Definition{
	Name:        "bounded",
	Description: "A step under step-timeout (a test step).",
	Inputs: []step.Input{
		{Name: RequestTimeout, Description: "Request timeout.", Type: step.Duration, Default: "30s"},
		{Name: StepTimeout, Description: "Step timeout.", Type: step.Duration, Default: "1h"},
	},
}

// TestBounded: a step waiting on something that never comes ends after
// step-timeout with exit 3 saying so and what it was doing; a bad timeout
// is exit 2 before the step runs.
func TestBounded(t *testing.T) {
	waiting := func(ctx context.Context, s *step.Session) error {
		<-ctx.Done()
		return fmt.Errorf("waiting for the registry: %w", ctx.Err())
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"runs out", []string{"--step-timeout=200ms"}, step.ExitExternal, "stopped after step-timeout 200ms: waiting for the registry: context deadline exceeded"},
		{"bad timeout", []string{"--step-timeout=-1s"}, step.ExitInvalid, `"-1s" is negative`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			start := time.Now()
			code := step.Run(context.Background(), boundedStep, append([]string{"--ci=local"}, tt.args...), nil, &stdout, &stderr, Bounded(waiting))
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("step %v = exit %d, want %d with %q in:\n%s", tt.args, code, tt.wantCode, tt.want, stderr.String())
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("step %v took %s", tt.args, took)
			}
		})
	}
}
