// Package examples_test checks that the release configs shipped as examples
// are valid: the sample application and each topology section, parsed and
// validated by the same code bundle-plan uses.
package examples_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/topology"
)

func TestSampleAppConfig(t *testing.T) {
	data, err := os.ReadFile("sample-app/aviary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse("sample-app/aviary.yaml", data)
	if err != nil {
		t.Fatalf("config.Parse(sample-app/aviary.yaml) = %v", err)
	}
	for _, s := range c.Services {
		if _, err := os.Stat(filepath.Join("sample-app", s.Manifests)); err != nil {
			t.Errorf("service %s: manifests directory: %v", s.Name, err)
		}
	}
}

func TestTopologyExamples(t *testing.T) {
	base, err := os.ReadFile("sample-app/aviary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The sample app without its own topology section.
	head, _, ok := strings.Cut(string(base), "topology:")
	if !ok {
		t.Fatal("sample-app/aviary.yaml has no topology section")
	}
	files, err := filepath.Glob("topologies/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			section, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, err := config.Parse(f, []byte(head+string(section)))
			if err != nil {
				t.Fatalf("config.Parse(%s) = %v", f, err)
			}
			if want := strings.TrimSuffix(filepath.Base(f), ".yaml"); string(c.Topology.Kind) != want {
				t.Errorf("%s: topology.kind = %q, want %q", f, c.Topology.Kind, want)
			}
			if _, err := topology.Place(c.Topology, topology.Options{}); err != nil {
				t.Errorf("topology.Place(%s) = %v", f, err)
			}
			seen[string(c.Topology.Kind)] = true
		})
	}
	for _, k := range config.Kinds() {
		if !seen[string(k)] {
			t.Errorf("no example for topology %q in examples/topologies", k)
		}
	}
}
