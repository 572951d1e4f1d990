package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
)

// repoRoot is the repository root, seen from this package's directory.
const repoRoot = "../.."

func TestGeneratedFilesAreCurrent(t *testing.T) {
	files, err := Generate(catalog.All())
	if err != nil {
		t.Fatalf("Generate(catalog.All()) error: %v", err)
	}
	stale, err := Stale(repoRoot, files)
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) > 0 {
		t.Errorf("generated files are stale; run `make generate` and commit:\n  %s", strings.Join(stale, "\n  "))
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, err := Generate(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := Write(dir, a); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		b, _ := Generate(catalog.All())
		if stale, err := Stale(dir, b); err != nil || len(stale) > 0 {
			t.Fatalf("Generate differs between runs: %v %v", stale, err)
		}
	}
}

func TestWriteRemovesFilesNoLongerGenerated(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "actions", "gone", "action.yml")
	keep := filepath.Join(dir, "actions", "README.md")
	for _, p := range []string{old, keep} {
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	files, _ := Generate(catalog.All())
	if stale, _ := Stale(dir, files); !contains(stale, "actions/gone/action.yml") {
		t.Errorf("Stale() = %v, want it to list actions/gone/action.yml", stale)
	}
	if err := Write(dir, files); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("stale action.yml survived Write (stat: %v)", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("Write removed a file it does not own: %v", err)
	}
}

func TestGenerateRefusesInvalidDefinition(t *testing.T) {
	bad := step.Definition{Name: "Bad", Description: "d"}
	if _, err := Generate([]step.Definition{bad}); err == nil {
		t.Error("Generate(invalid definition) error = nil")
	}
}

// TestAdaptersCarryEveryInput checks, per step, that each adapter passes each
// input the way the runtime reads it.
func TestAdaptersCarryEveryInput(t *testing.T) {
	files, err := Generate(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	for _, def := range catalog.All() {
		action := decode(t, files["actions/"+def.Name+"/action.yml"])
		task := files["tekton/"+def.Name+"/task.yaml"]
		component := string(files["templates/"+def.Name+".yml"])
		inputs, _ := action["inputs"].(map[string]any)
		for _, in := range def.Inputs {
			if _, ok := inputs[in.Name]; !ok {
				t.Errorf("%s action.yml lacks input %q", def.Name, in.Name)
			}
			if in.Secret {
				if !strings.Contains(string(task), "key: "+in.Name) {
					t.Errorf("%s task.yaml does not read secret %q from the Secret", def.Name, in.Name)
				}
				if strings.Contains(component, "inputs."+in.Name+" ") {
					t.Errorf("%s component takes secret %q as an input", def.Name, in.Name)
				}
				continue
			}
			if !strings.Contains(string(task), "--"+in.Name+"=$(params."+in.Name+")") {
				t.Errorf("%s task.yaml does not pass %q", def.Name, in.Name)
			}
			if !strings.Contains(component, step.Env(in.Name)+": $[[ inputs."+in.Name+" ]]") {
				t.Errorf("%s component does not set %s", def.Name, step.Env(in.Name))
			}
		}
		outputs, _ := action["outputs"].(map[string]any)
		if len(outputs) != len(def.Outputs) {
			t.Errorf("%s action.yml has %d outputs, want %d", def.Name, len(outputs), len(def.Outputs))
		}
		// The component is two YAML documents: the spec and the job.
		docs := strings.Split(component, "\n---\n")
		if len(docs) != 2 {
			t.Fatalf("%s component has %d documents, want 2", def.Name, len(docs))
		}
		for _, d := range docs {
			decode(t, []byte(d))
		}
	}
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("decoding generated YAML: %v\n%s", err, b)
	}
	return m
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}
