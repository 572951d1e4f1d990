// Package examples_test checks that the release configs shipped as examples
// are valid: the sample application and each topology section, parsed and
// validated by the same code bundle-plan uses, and that the example Roles
// cover the topologies the steps drive.
package examples_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/plan"
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

// TestTopologyExamples: each directory of topologies/ holds a complete
// release config of its own kind that parses, validates and places, a
// GitHub Actions workflow (hack/lint runs actionlint on it) and a README
// with a Mermaid diagram; every kind has one.
func TestTopologyExamples(t *testing.T) {
	files, err := filepath.Glob("topologies/*/aviary.yaml")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		kind := filepath.Base(filepath.Dir(f))
		t.Run(kind, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c, err := config.Parse(f, data)
			if err != nil {
				t.Fatalf("config.Parse(%s) = %v", f, err)
			}
			if string(c.Topology.Kind) != kind {
				t.Errorf("%s: topology.kind = %q, want %q", f, c.Topology.Kind, kind)
			}
			if len(c.Services) == 0 {
				t.Errorf("%s: no services", f)
			}
			if _, err := topology.Place(c.Topology, topology.Options{}); err != nil {
				t.Errorf("topology.Place(%s) = %v", f, err)
			}
			if _, err := os.Stat(filepath.Join("topologies", kind, "release.yml")); err != nil {
				t.Errorf("no workflow for %s: %v", kind, err)
			}
			readme, err := os.ReadFile(filepath.Join("topologies", kind, "README.md"))
			if err != nil || !strings.Contains(string(readme), "```mermaid\n") {
				t.Errorf("topologies/%s/README.md has no Mermaid diagram (err %v)", kind, err)
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

// TestRolesCoverTheTopologies: for each topology example with Roles under
// rbac/<topology>/ (rbac/<topology>-separate/: across separate meshes),
// every step that drives the topology has its file, and
// each of its Roles is for a namespace the topology uses.
func TestRolesCoverTheTopologies(t *testing.T) {
	entries, err := os.ReadDir("rbac")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join("rbac", e.Name()))
		}
	}
	if len(dirs) == 0 {
		t.Fatal("no topology directories under rbac/")
	}
	for _, dir := range dirs {
		kind := filepath.Base(dir)
		t.Run(kind, func(t *testing.T) {
			// rbac/<topology>-separate holds the Roles of the topology's
			// example across separate meshes.
			example, separate := strings.CutSuffix(kind, "-separate")
			file := filepath.Join("topologies", example, "aviary.yaml")
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("rbac/%s has no topology example: %v", kind, err)
			}
			c, err := config.Parse(file, data)
			if err != nil {
				t.Fatal(err)
			}
			if separate {
				c.Topology.Mesh = config.MeshSeparate
				for i := range c.Topology.Targets {
					c.Topology.Targets[i].Ingress = "192.0.2.1:80"
				}
			}
			p, err := topology.Place(c.Topology, topology.Options{})
			if err != nil {
				t.Fatal(err)
			}
			namespaces := map[string]bool{}
			for _, s := range p.Sides {
				namespaces[s.Namespace] = true
			}
			for _, step := range []string{"deploy-canary", "shift-weight", "promote", "rollback", "rebuild-cluster"} {
				file := filepath.Join(dir, step+".yaml")
				data, err := os.ReadFile(file)
				if topology.Supported(p, step) != nil {
					if err == nil {
						t.Errorf("%s exists, but %s does not drive %s", file, step, kind)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s drives %s, but %s: %v", step, kind, file, err)
					continue
				}
				docs, err := plan.SplitDocuments(data)
				if err != nil {
					t.Fatal(err)
				}
				for _, doc := range docs {
					var role rbacv1.Role
					if err := yaml.UnmarshalStrict(doc, &role); err != nil {
						t.Errorf("%s: %v", file, err)
					}
					if !namespaces[role.Namespace] {
						t.Errorf("%s: a Role for namespace %q, which %s does not use", file, role.Namespace, kind)
					}
					if rule, ok := writesUnwatchedDeployments(role); ok {
						t.Errorf("%s: Role %s/%s writes Deployments (%v) but may not watch them: the step would wait for them by listing every 500 ms", file, role.Namespace, role.Name, rule.Verbs)
					}
				}
			}
		})
	}
}

// writesUnwatchedDeployments returns a rule of role that lets a step
// create or patch Deployments, and so wait for them, without watch.
func writesUnwatchedDeployments(role rbacv1.Role) (rbacv1.PolicyRule, bool) {
	for _, rule := range role.Rules {
		if !slices.Contains(rule.APIGroups, "apps") || !slices.Contains(rule.Resources, "deployments") {
			continue
		}
		writes := slices.Contains(rule.Verbs, "create") || slices.Contains(rule.Verbs, "patch")
		if writes && !slices.Contains(rule.Verbs, "watch") {
			return rule, true
		}
	}
	return rbacv1.PolicyRule{}, false
}
