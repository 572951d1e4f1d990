package step

import (
	"runtime/debug"
	"strings"
)

// Version describes the running binary for --version and at the head of
// --help (a step with an input named version has no --version flag): the
// step, aviary's module version, the commit it was built from (with "+dirty"
// when the work tree had changes) and the Go release.
//
//	deploy-canary v0.3.0 (commit 4f9c2e1d0b7a, go1.26.8)
//
// It holds only what the build recorded in the binary and nothing of the
// moment or the machine (no build time, no paths), so one binary says the
// same on every run, and two builds of one commit say the same. Binaries
// built outside a module or a git checkout say "(devel)" and "unknown".
func Version(step string) string {
	version, commit, goVersion := "(devel)", "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if v := bi.Main.Version; v != "" {
			version = v
		}
		var revision string
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if revision != "" {
			commit = revision[:min(12, len(revision))]
			if modified && !strings.HasSuffix(version, "+dirty") {
				commit += "+dirty"
			}
		}
	}
	return step + " " + version + " (commit " + commit + ", " + goVersion + ")"
}
