package step

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aviary-cd/aviary/pkg/markdown"
)

// hostile are names a plan, a registry or a git remote could carry.
var hostile = map[string]string{
	"new line and workflow command": "web\n::set-output name=evil::1",
	"stop commands":                 "web\n::stop-commands::tok",
	"legacy command":                "web ##[add-mask]hunter2",
	"indented command":              "web\n   ::error::fake",
	"table cell":                    "web | evil | row",
	"html":                          "<script>alert(1)</script>",
	"markdown link":                 "[click](https://evil.example)",
	"ansi escape":                   "web\x1b[2K\x1b[1Averified",
	"carriage return":               "web\rverified",
	"bidi override":                 "web\u202eexe.txt",
}

// controlChar matches what must never reach a log or summary raw: C0 and C1
// controls but line breaks and tabs, DEL, and bidirectional overrides.
var controlChar = regexp.MustCompile(`[\x00-\x08\x0b-\x1f\x7f\x{80}-\x{9f}\x{200e}\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}]`)

// ownCommands are the workflow commands the GitHub sink writes itself.
var ownCommands = []string{"::group::", "::endgroup::", "::warning::", "::error::", "::notice::", "::add-mask::"}

// TestHostileTextThroughEverySink sends hostile names through every way a
// step reports text — log message and attribute, progress, warning,
// non-fatal error, group title, summary and the final error — on every CI
// system and log format, and checks what reaches stdout, stderr and the
// summary file: no workflow command the step did not write, no "##[" and no
// control character on the consoles, every log line carrying the step's
// prefix, no control character in the summary, and a summary table row
// that stays one row.
func TestHostileTextThroughEverySink(t *testing.T) {
	systems := []string{"github", "gitlab", "tekton", "local"}
	for name, bad := range hostile {
		for _, system := range systems {
			for _, format := range []string{"text", "json"} {
				t.Run(name+"/"+system+"/"+format, func(t *testing.T) {
					dir := t.TempDir()
					summaryFile := filepath.Join(dir, "summary.md")
					env := []string{"GITHUB_OUTPUT=" + filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY=" + summaryFile}
					args := []string{"--plan=p", "--ci=" + system, "--log-format=" + format,
						"--results-dir=" + filepath.Join(dir, "results"), "--dotenv=" + filepath.Join(dir, "aviary.env"),
						"--summary-file=" + summaryFile}
					r := runStep(t, testDef, args, env, func(_ context.Context, s *Session) error {
						s.Log().Info("deploying "+bad, "service", bad, "err", errors.New(bad))
						s.Progress(bad)
						s.Warning(bad)
						s.Errorf("service %s: failed", bad)
						s.Group(bad)()
						s.Summary("| service |\n| --- |\n| " + markdown.Text(bad) + " |\n\nraw: " + bad)
						return errors.New("checking service " + bad + ": refused")
					})
					if r.code != ExitExternal {
						t.Fatalf("Run = %d, want %d; stderr:\n%s", r.code, ExitExternal, r.stderr)
					}
					summary, err := os.ReadFile(summaryFile)
					if err != nil {
						t.Fatal(err)
					}
					checkInert(t, "stdout", r.stdout, system == "github")
					checkInert(t, "stderr", r.stderr, false)
					// The summary file is no console: only control characters matter.
					if controlChar.MatchString(string(summary)) {
						t.Errorf("summary holds a control character: %q", summary)
					}
					for i, line := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
						if format == "text" && !strings.HasPrefix(line, "aviary test-step: ") || format == "json" && !strings.HasPrefix(line, "{") {
							t.Errorf("stderr line %d = %q does not start with the step's prefix", i+1, line)
						}
					}
					rows := 0
					for _, line := range strings.Split(string(summary), "\n") {
						if strings.HasPrefix(line, "| ") {
							rows++
						}
					}
					if rows != 3 {
						t.Errorf("summary table has %d lines, want 3 (header, separator, one row):\n%s", rows, summary)
					}
				})
			}
		}
	}
}

// checkInert fails when text holds a control character, the legacy command
// marker, or a line starting with a workflow command the step did not write
// itself (on GitHub's stdout, its own commands are allowed).
func checkInert(t *testing.T, what, text string, ownAllowed bool) {
	t.Helper()
	if controlChar.MatchString(text) {
		t.Errorf("%s holds a control character: %q", what, text)
	}
	if strings.Contains(text, "##[") {
		t.Errorf("%s holds GitHub's legacy command marker ##[: %q", what, text)
	}
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(line, " \t")
		if !strings.HasPrefix(trimmed, "::") {
			continue
		}
		own := false
		for _, c := range ownCommands {
			own = own || ownAllowed && strings.HasPrefix(trimmed, c)
		}
		if !own {
			t.Errorf("%s has a line that is a workflow command: %q", what, line)
		}
	}
}
