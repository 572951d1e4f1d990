package lint

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"sigs.k8s.io/yaml"
)

// repoRoot is the repository root, seen from this package's directory.
const repoRoot = "../.."

type actionFile struct {
	dir      string // actions/<step>
	inputs   map[string]actionInput
	outputs  map[string]struct{}
	required []string
}

type actionInput struct {
	Required bool   `json:"required"`
	Default  string `json:"default"`
}

func readActions(t *testing.T) []actionFile {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(repoRoot, "actions", "*", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no actions/*/action.yml: run `make generate`")
	}
	sort.Strings(paths)
	var actions []actionFile
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var meta struct {
			Inputs  map[string]actionInput `json:"inputs"`
			Outputs map[string]struct{}    `json:"outputs"`
		}
		if err := yaml.Unmarshal(b, &meta); err != nil {
			t.Fatalf("decoding %s: %v", p, err)
		}
		a := actionFile{dir: filepath.ToSlash(filepath.Dir(mustRel(t, p))), inputs: meta.Inputs, outputs: meta.Outputs}
		for name, in := range meta.Inputs {
			if in.Required {
				a.required = append(a.required, name)
			}
		}
		sort.Strings(a.required)
		actions = append(actions, a)
	}
	return actions
}

func mustRel(t *testing.T, p string) string {
	rel, err := filepath.Rel(repoRoot, p)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

// workflow uses every action as a local action, passing every input and
// reading every output, so that actionlint checks the action metadata, the
// inputs a caller may give and the outputs it may read.
func workflow(actions []actionFile) []byte {
	var b bytes.Buffer
	b.WriteString("name: aviary adapters\non: push\npermissions: {}\njobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n")
	b.WriteString("      - uses: actions/checkout@v4\n")
	for i, a := range actions {
		id := fmt.Sprintf("s%d", i)
		fmt.Fprintf(&b, "      - id: %s\n        uses: ./%s\n", id, a.dir)
		if len(a.inputs) > 0 {
			b.WriteString("        with:\n")
			names := make([]string, 0, len(a.inputs))
			for n := range a.inputs {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				fmt.Fprintf(&b, "          %s: ${{ vars.VALUE }}\n", n)
			}
		}
		if len(a.outputs) > 0 {
			fmt.Fprintf(&b, "      - name: read outputs of %s\n        run: echo \"$OUT\"\n        env:\n          OUT: >-\n", a.dir)
			names := make([]string, 0, len(a.outputs))
			for n := range a.outputs {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				fmt.Fprintf(&b, "            ${{ steps.%s.outputs.%s }}\n", id, n)
			}
		}
	}
	return b.Bytes()
}

// lintWorkflow runs actionlint on src in a temporary project that holds a
// copy of the repository's actions/ directory.
func lintWorkflow(t *testing.T, src []byte) []*actionlint.Error {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{".git", ".github/workflows"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.CopyFS(filepath.Join(dir, "actions"), os.DirFS(filepath.Join(repoRoot, "actions"))); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ".github", "workflows", "aviary.yml")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	proj, err := actionlint.NewProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	linter, err := actionlint.NewLinter(&out, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := linter.LintFile(path, proj)
	if err != nil {
		t.Fatalf("actionlint: %v", err)
	}
	return errs
}

func TestActionsPassActionlint(t *testing.T) {
	actions := readActions(t)
	src := workflow(actions)
	for _, e := range lintWorkflow(t, src) {
		t.Errorf("actionlint: %s:%d:%d: %s [%s]", e.Filepath, e.Line, e.Column, e.Message, e.Kind)
	}
	if t.Failed() {
		t.Logf("workflow:\n%s", src)
	}
}

// TestActionlintSeesTheMetadata proves the check above is not vacuous:
// actionlint reports a missing required input, an unknown input and an
// unknown output of the generated actions.
func TestActionlintSeesTheMetadata(t *testing.T) {
	var a *actionFile
	actions := readActions(t)
	for i := range actions {
		if len(actions[i].required) > 0 && len(actions[i].outputs) > 0 {
			a = &actions[i]
			break
		}
	}
	if a == nil {
		t.Fatal("no action with a required input and an output")
	}
	src := fmt.Sprintf(`name: broken
on: push
permissions: {}
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - id: s
        uses: ./%s
        with:
          no-such-input: x
      - run: echo "$X"
        env:
          X: ${{ steps.s.outputs.no-such-output }}
`, a.dir)
	var msgs []string
	for _, e := range lintWorkflow(t, []byte(src)) {
		msgs = append(msgs, e.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{`missing input "` + a.required[0] + `"`, `input "no-such-input" is not defined`, `no-such-output`} {
		if !strings.Contains(all, want) {
			t.Errorf("actionlint did not report %q; it reported:\n%s", want, all)
		}
	}
}
