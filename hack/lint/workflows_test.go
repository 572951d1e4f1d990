package lint

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// aviaryAction matches a use of one of the repository's actions as a
// pipeline of an application names it.
var aviaryAction = regexp.MustCompile(`uses: aviary-cd/aviary/(actions/[a-z-]+)@v1\b`)

// TestTopologyWorkflowsPassActionlint runs actionlint on the example
// workflows (examples/topologies/*/release.yml, examples/github), each use
// of aviary-cd/aviary/actions/<step>@v1 made a use of the local
// actions/<step>, so that actionlint checks every input given and output
// read against the generated action metadata (see
// TestActionlintSeesTheMetadata).
func TestTopologyWorkflowsPassActionlint(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "examples", "topologies", "*", "release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 8 {
		t.Fatalf("found %d topology workflows, want one per topology (8)", len(files))
	}
	files = append(files, filepath.Join(repoRoot, "examples", "github", "release.yml"))
	for _, f := range files {
		name := mustRel(t, f)
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !aviaryAction.Match(src) {
				t.Fatalf("%s uses none of aviary's actions", name)
			}
			local := aviaryAction.ReplaceAll(src, []byte("uses: ./$1"))
			for _, e := range lintWorkflow(t, local) {
				t.Errorf("actionlint: %s:%d:%d: %s [%s]", name, e.Line, e.Column, e.Message, e.Kind)
			}
		})
	}
}
