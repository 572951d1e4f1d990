package scripttest

import (
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// BadInputDir is the bad-input corpus, relative to a step's directory: one
// table per step, steps/testdata/badinput/<step>.txtar.
const BadInputDir = "../testdata/badinput"

// BadInput runs the bad-input corpus of step against the real step binary
// (its main, registered with testscript.Main by the step's TestMain). Each
// case is one `bad` line; see steps/testdata/badinput/README.md. Nothing in
// the corpus needs a cluster or a registry: bad input is refused before any
// connection.
func BadInput(t *testing.T, step string) {
	testscript.Run(t, testscript.Params{
		Files:               []string{filepath.Join(BadInputDir, step+".txtar")},
		RequireExplicitExec: true,
		ContinueOnError:     true,
		Setup: func(env *testscript.Env) error {
			for k, v := range GitEnv(env.WorkDir) {
				env.Setenv(k, v)
			}
			return nil
		},
		Cmds: Cmds,
	})
}

var envAssignment = regexp.MustCompile(`^[A-Z][A-Z0-9_-]*=`)

// Bad is the bad command:
//
//	bad STEP EXIT PHRASE [NAME=VALUE...] [ARG...]
//
// runs STEP with ARGs and, for this run only, the environment variables
// NAME=VALUE, and checks that it ends with exit code EXIT and that its
// stderr holds PHRASE (a plain substring). A refusal (exit 2) must also
// print no outputs on stdout and end with the "exit code 2" line: nothing is
// written. The stdout and stderr are kept for the next commands (nosecret).
func Bad(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: bad STEP EXIT PHRASE [NAME=VALUE...] [ARG...]")
	}
	step, phrase := args[0], args[2]
	want, err := strconv.Atoi(args[1])
	if err != nil {
		ts.Fatalf("bad: exit code %q is not a number", args[1])
	}
	rest := args[3:]
	restore := map[string]string{}
	for len(rest) > 0 && envAssignment.MatchString(rest[0]) {
		k, v, _ := strings.Cut(rest[0], "=")
		if _, seen := restore[k]; !seen {
			restore[k] = ts.Getenv(k)
		}
		ts.Setenv(k, v)
		rest = rest[1:]
	}
	defer func() {
		for k, v := range restore {
			ts.Setenv(k, v)
		}
	}()
	err = ts.Exec(step, rest...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("bad: running %s: %v", step, err)
	}
	stdout, stderr := ts.ReadFile("stdout"), ts.ReadFile("stderr")
	if got != want {
		ts.Fatalf("%s exited %d, want %d", step, got, want)
	}
	if !strings.Contains(stderr, phrase) {
		ts.Fatalf("%s: stderr lacks %q", step, phrase)
	}
	if want == 2 {
		if stdout != "" {
			ts.Fatalf("%s refused its input but printed on stdout: %q", step, stdout)
		}
		if !strings.HasSuffix(stderr, "exit code 2\n") {
			ts.Fatalf("%s: stderr does not end with the exit code line", step)
		}
	}
}

// Repeat is the repeat command:
//
//	repeat NAME N TEXT
//
// sets the environment variable NAME to TEXT repeated N times, for inputs
// too long to write in a script (a 120 kB branch name, 10 000 brackets).
// Linux passes no environment string over 128 KiB to a program: unset a
// longer one (env NAME=) before the next exec, once envsubst has used it.
func Repeat(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: repeat NAME N TEXT")
	}
	n, err := strconv.Atoi(args[1])
	if err != nil || n < 0 {
		ts.Fatalf("repeat: %q is not a count", args[1])
	}
	ts.Setenv(args[0], strings.Repeat(args[2], n))
}
