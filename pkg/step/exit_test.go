package step

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

func TestExitCode(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name        string
		err         error
		interrupted bool
		want        int
	}{
		{"nil", nil, false, 0},
		{"nil after a signal", nil, true, 0},
		{"negative", fmt.Errorf("verifying: %w", outcome.Negative(base)), false, 1},
		{"invalid", outcome.Invalid(base), false, 2},
		{"input errors", fmt.Errorf("%w: x", errInputs), false, 2},
		{"external", outcome.External(base), false, 3},
		{"unclassified", base, false, 3},
		{"canceled", fmt.Errorf("waiting: %w", context.Canceled), false, 130},
		{"any error after a signal", outcome.External(base), true, 130},
		{"deadline is not an interruption", context.DeadlineExceeded, false, 3},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err, tt.interrupted); got != tt.want {
			t.Errorf("ExitCode(%v, %v) = %d, want %d", tt.err, tt.interrupted, got, tt.want)
		}
	}
}

func TestRunExitCodesAndOutputs(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		want        int
		wantOutputs bool
	}{
		{"success", nil, 0, true},
		{"negative writes outputs", outcome.Negativef("analysis failed"), 1, true},
		{"invalid writes nothing", outcome.Invalidf("bad config"), 2, false},
		{"external writes nothing", outcome.Externalf("registry down"), 3, false},
		{"unclassified writes nothing", errors.New("oops"), 3, false},
		{"canceled writes nothing", context.Canceled, 130, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runStep(t, testDef, []string{"--plan=p"}, nil, func(_ context.Context, s *Session) error {
				s.SetOutput("weight", "0")
				return tt.err
			})
			if r.code != tt.want {
				t.Errorf("Run = %d, want %d; stderr:\n%s", r.code, tt.want, r.stderr)
			}
			if got := r.stdout != ""; got != tt.wantOutputs {
				t.Errorf("outputs written = %v, want %v; stdout %q", got, tt.wantOutputs, r.stdout)
			}
			if tt.err != nil {
				if n := strings.Count(r.stderr, tt.err.Error()); n != 1 {
					t.Errorf("final error printed %d times, want once; stderr:\n%s", n, r.stderr)
				}
				if !strings.Contains(r.stderr, fmt.Sprintf("exit code %d", tt.want)) {
					t.Errorf("stderr does not name exit code %d:\n%s", tt.want, r.stderr)
				}
			}
		})
	}
}

func TestRunCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := runStepCtx(t, ctx, testDef, []string{"--plan=p"}, nil, func(ctx context.Context, s *Session) error {
		cancel()
		<-ctx.Done()
		// A library that loses the cause still ends as an interruption.
		return outcome.Externalf("waiting for rollout: %v", ctx.Err())
	})
	if r.code != ExitInterrupted || !strings.Contains(r.stderr, "interrupted") {
		t.Errorf("Run = %d, stderr:\n%s\nwant %d and 'interrupted'", r.code, r.stderr, ExitInterrupted)
	}
}

func TestRunPanicIsExit3(t *testing.T) {
	r := runStep(t, testDef, []string{"--plan=p", "--token=tok-secret"}, nil, func(context.Context, *Session) error {
		panic("boom tok-secret")
	})
	if r.code != ExitExternal || !strings.Contains(r.stderr, "step panicked: boom ***") {
		t.Errorf("Run = %d, stderr:\n%s\nwant %d and the redacted panic", r.code, r.stderr, ExitExternal)
	}
}

func TestRunRefusesInvalidDefinition(t *testing.T) {
	def := testDef
	def.Inputs = append([]Input{{Name: "ci", Description: "clash"}}, def.Inputs...)
	r := runStep(t, def, nil, nil, nil)
	if r.code != ExitExternal || !strings.Contains(r.stderr, `input "ci" clashes with a common input`) {
		t.Errorf("Run = %d, stderr:\n%s", r.code, r.stderr)
	}
}

func TestSessionIsSafeForConcurrentUse(t *testing.T) {
	env, output, _ := gitHubEnv(t)
	r := runStep(t, testDef, []string{"--plan=p"}, env, func(_ context.Context, s *Session) error {
		done := make(chan struct{})
		for i := 0; i < 8; i++ {
			go func() {
				defer func() { done <- struct{}{} }()
				end := s.Group(fmt.Sprint("g", i))
				s.Progress(fmt.Sprint("image ", i))
				s.Warning("w")
				s.SetOutput("weight", fmt.Sprint(i))
				s.Summary("- line")
				_ = s.Int("weight")
				end()
			}()
		}
		for i := 0; i < 8; i++ {
			<-done
		}
		return nil
	})
	if r.code != 0 {
		t.Fatalf("Run = %d; stderr:\n%s", r.code, r.stderr)
	}
	if got := parseGitHubOutput(t, output)["weight"]; got == "" {
		t.Errorf("weight output is empty after concurrent SetOutput")
	}
}

func TestVersionFlag(t *testing.T) {
	first := runStep(t, testDef, []string{"--version"}, nil, nil)
	second := runStep(t, testDef, []string{"--plan=p", "--version"}, []string{"GITHUB_ACTIONS=true"}, nil)
	if first.code != 0 || !strings.HasPrefix(first.stdout, "test-step ") || !strings.Contains(first.stdout, "(commit ") {
		t.Fatalf("--version = exit %d, stdout %q; want 0 and the step's name, version and commit", first.code, first.stdout)
	}
	if first.stdout != second.stdout || first.stderr != "" {
		t.Errorf("--version printed %q, then %q (stderr %q); want the same every run", first.stdout, second.stdout, first.stderr)
	}
	if bad := runStep(t, testDef, []string{"--version=1"}, nil, nil); bad.code != ExitInvalid {
		t.Errorf("--version=1 = exit %d, want %d (an unknown flag)", bad.code, ExitInvalid)
	}
}

func TestVersionInputWinsOverTheFlag(t *testing.T) {
	def := testDef
	def.Inputs = append(append([]Input(nil), def.Inputs...), Input{Name: "version", Description: "Release version."})
	var got string
	r := runStep(t, def, []string{"--plan=p", "--version", "1.2.0"}, nil, func(_ context.Context, s *Session) error {
		got = s.String("version")
		return nil
	})
	if r.code != 0 || got != "1.2.0" {
		t.Errorf("--version 1.2.0 with a version input = exit %d, input %q; want 0 and the input", r.code, got)
	}
	help := runStep(t, def, []string{"--help"}, nil, nil)
	if !strings.Contains(help.stdout, Version(def.Name)) {
		t.Errorf("--help does not show the build's version %q:\n%s", Version(def.Name), help.stdout)
	}
}
