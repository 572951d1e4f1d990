package step

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnwritableOutputsAreSetupErrors: a step whose output or summary
// files cannot be written (here: their directory does not exist, as for a
// container that does not see the runner's file_commands mount, or a file
// owned by another user) exits 2 before run is called, naming the file,
// instead of doing its work and exiting 3 when it writes the outputs.
func TestUnwritableOutputsAreSetupErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "file_commands", "set_output")
	okFile := filepath.Join(dir, "out")
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"github output", []string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + missing, "GITHUB_STEP_SUMMARY=" + okFile}, "cannot write its GITHUB_OUTPUT " + missing},
		{"github summary", []string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + okFile, "GITHUB_STEP_SUMMARY=" + dir}, "cannot write its GITHUB_STEP_SUMMARY " + dir},
		{"gitlab dotenv", []string{"GITLAB_CI=true", "AVIARY_DOTENV=" + missing}, "cannot write its dotenv report " + missing},
		{"tekton results", []string{"AVIARY_CI=tekton", "AVIARY_RESULTS_DIR=" + okFile}, "cannot write its results directory " + okFile},
	}
	if err := os.WriteFile(okFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran := false
			r := runStep(t, testDef, []string{"--plan=x"}, tt.env, func(context.Context, *Session) error {
				ran = true
				return nil
			})
			if r.code != ExitInvalid || ran || !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "run the step as a user that may write there") {
				t.Errorf("exit %d, run called %v; want %d before run, with %q:\n%s", r.code, ran, ExitInvalid, tt.want, r.stderr)
			}
		})
	}
	// Writable places pass, and the outputs land.
	out := filepath.Join(dir, "github_output")
	r := runStep(t, testDef, []string{"--plan=x"}, []string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + out}, func(_ context.Context, s *Session) error {
		s.SetOutput("weight", "7")
		return nil
	})
	if r.code != ExitOK || parseGitHubOutput(t, out)["weight"] != "7" {
		t.Errorf("writable GITHUB_OUTPUT: exit %d, outputs %v\n%s", r.code, parseGitHubOutput(t, out), r.stderr)
	}
}
