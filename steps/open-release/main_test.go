package main

import (
	"os/exec"
	"testing"

	"github.com/aviary-cd/aviary/internal/scripttest"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"open-release": main})
}

// TestScripts runs the real step on repositories the scripts build with the
// git command line. See testdata/README.md.
func TestScripts(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("the scripts build repositories with the git command: %v", err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			for k, v := range scripttest.GitEnv(env.WorkDir) {
				env.Setenv(k, v)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"rev":      cmdRev,
			"output":   scripttest.Output,
			"nosecret": scripttest.NoSecret,
		},
	})
}

// rev NAME DIR REVISION sets $NAME to the commit REVISION names in the
// repository DIR, and $NAME_SHORT to its first 12 digits. With ! it checks
// that REVISION names nothing.
func cmdRev(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: rev NAME DIR REVISION")
	}
	repo, err := git.PlainOpen(ts.MkAbs(args[1]))
	ts.Check(err)
	h, err := repo.ResolveRevision(plumbing.Revision(args[2]))
	switch {
	case neg && err == nil:
		ts.Fatalf("%s resolves to %s in %s", args[2], h, args[1])
	case neg:
		return
	case err != nil:
		ts.Fatalf("resolving %s in %s: %v", args[2], args[1], err)
	}
	ts.Setenv(args[0], h.String())
	ts.Setenv(args[0]+"_SHORT", h.String()[:12])
}
