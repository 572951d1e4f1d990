// Package scripttest holds what the step binaries' testscript scenarios
// share: commands that read a step's local-mode outputs, fill in files, write
// plans and keys, run a step on bad input and look for leaked secrets; the
// environment that makes git deterministic inside a script; and the runner
// of the bad-input corpus (BadInput).
package scripttest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// Cmds are the shared script commands, to merge into testscript.Params.Cmds:
//
//	output KEY VALUE  checks that the JSON object the last command printed on
//	                  stdout holds KEY with the string VALUE, or only starts
//	                  with it when VALUE ends in '*'; sets $OUT_<KEY>
//	                  (plan-ref → $OUT_PLAN_REF). With ! it checks the
//	                  opposite.
//	envsubst FILE...  replaces $VAR and ${VAR} in each FILE with the script's
//	                  environment.
//	bad STEP EXIT PHRASE [NAME=VALUE...] [ARG...]
//	                  runs a step on bad input and checks its exit code and
//	                  message (see Bad).
//	nosecret [-except FILE]... [-file FILE]... [VALUE...]
//	                  fails when a secret shows in stdout, stderr or any file
//	                  under $WORK (see NoSecret).
//	repeat NAME N TEXT
//	                  sets $NAME to TEXT repeated N times.
//	planlayout DIR KIND
//	                  writes a plan, valid or breaking one rule, into an OCI
//	                  layout and sets $PLAN (see PlanLayout).
//	genkey [-env NAME] PRIVATE [PUBLIC]
//	                  writes a fresh cosign-compatible key pair.
var Cmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"output":     Output,
	"envsubst":   Envsubst,
	"bad":        Bad,
	"nosecret":   NoSecret,
	"repeat":     Repeat,
	"planlayout": PlanLayout,
	"genkey":     Genkey,
}

// Output is the output command.
func Output(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: output KEY VALUE")
	}
	var outputs map[string]string
	if err := json.Unmarshal([]byte(ts.ReadFile("stdout")), &outputs); err != nil {
		ts.Fatalf("stdout is not a JSON object of outputs: %v", err)
	}
	got, ok := outputs[args[0]]
	if !ok {
		ts.Fatalf("no output %q in %v", args[0], outputs)
	}
	want := args[1]
	match := got == want
	if prefix, ok := strings.CutSuffix(want, "*"); ok {
		match = strings.HasPrefix(got, prefix)
	}
	if match == neg {
		ts.Fatalf("output %s = %q, want %s%q", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
	ts.Setenv("OUT_"+strings.ToUpper(strings.ReplaceAll(args[0], "-", "_")), got)
}

// Envsubst is the envsubst command.
func Envsubst(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: envsubst FILE...")
	}
	for _, f := range args {
		data := os.Expand(ts.ReadFile(f), ts.Getenv)
		ts.Check(os.WriteFile(ts.MkAbs(f), []byte(data), 0o644))
	}
}

// GitEnv returns the environment of a script that builds repositories with
// the git command line and runs a step in local mode: a home of its own
// under workDir, no system or user git config, a fixed identity, and
// AVIARY_CI=local so that outputs are one JSON object on stdout.
func GitEnv(workDir string) map[string]string {
	home := filepath.Join(workDir, ".home")
	return map[string]string{
		"HOME":                home,
		"GIT_CONFIG_NOSYSTEM": "1",
		"GIT_CONFIG_GLOBAL":   filepath.Join(home, "gitconfig"),
		"GIT_AUTHOR_NAME":     "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
		"GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
		"AVIARY_CI": "local",
	}
}
