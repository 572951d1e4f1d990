package step_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/pkg/step"
)

// TestFirstSignalEndsABlockedStep: a step blocked in a call that ignores its
// context still ends after the first SIGTERM or SIGINT, within StopGrace and
// a little, with exit code 130 and a message saying it did not stop; no
// second signal is needed.
func TestFirstSignalEndsABlockedStep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a step binary")
	}
	bin := filepath.Join(t.TempDir(), "stuck-step")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/stuck-step").CombinedOutput(); err != nil {
		t.Fatalf("building stuck-step: %v\n%s", err, out)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin)
			var stderr syncBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			waitFor(t, &stderr, "blocked")
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			sent := time.Now()
			exited := make(chan struct{})
			go func() { _ = cmd.Wait(); close(exited) }()
			select {
			case <-exited:
			case <-time.After(step.StopGrace + 10*time.Second):
				t.Fatalf("stuck-step still runs %s after %v; stderr:\n%s", time.Since(sent).Round(time.Second), sig, stderr.String())
			}
			if got := cmd.ProcessState.ExitCode(); got != 130 {
				t.Errorf("exit code after %v = %d, want 130; stderr:\n%s", sig, got, stderr.String())
			}
			if !strings.Contains(stderr.String(), "interrupted: did not stop within 5s of "+sigText(sig)) {
				t.Errorf("stderr does not say it was interrupted and did not stop:\n%s", stderr.String())
			}
		})
	}
}

func sigText(sig syscall.Signal) string { return sig.String() + " signal received" }

func waitFor(t *testing.T, b *syncBuffer, text string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(b.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("the step never printed %q; stderr:\n%s", text, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAwait(t *testing.T) {
	blocked := make(chan struct{})
	t.Cleanup(func() { close(blocked) })
	tests := []struct {
		name    string
		cancel  bool
		fn      func() error
		wantErr error
	}{
		{"returns", false, func() error { return os.ErrNotExist }, os.ErrNotExist},
		{"returns after the cancel", true, func() error { time.Sleep(50 * time.Millisecond); return context.Canceled }, context.Canceled},
		{"stays blocked", true, func() error { <-blocked; return nil }, step.ErrNotStopped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			if tt.cancel {
				cancel()
			}
			defer cancel()
			err := step.Await(ctx, 200*time.Millisecond, tt.fn)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Await() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
