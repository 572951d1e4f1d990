package steps_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aviary-cd/aviary/pkg/catalog"
)

// Packages no step binary may link: the real test environment, the xDS
// probe and Envoy's API it speaks to istiod, and the testing package (which
// would also add its flags to the binary).
var deniedEverywhere = []string{
	"github.com/aviary-cd/aviary/internal/devenv",
	"github.com/aviary-cd/aviary/internal/xdsprobe",
	"github.com/envoyproxy/go-control-plane",
	"testing",
}

// deniedBut lists packages that only one step may link: kustomize renders
// overlays at bundle time, and no later step needs it.
var deniedBut = map[string]string{
	"sigs.k8s.io/kustomize": "bundle-plan",
}

// denied lists, per step, what it must not link on top of deniedEverywhere,
// so that each binary (and image) carries only what its job needs. Every
// step of the catalog must have an entry, so that a new step gets rules.
var denied = map[string][]string{
	"open-release":     {"k8s.io/client-go", "istio.io", "github.com/sigstore", "github.com/aviary-cd/aviary/pkg/analysis", "html/template"},
	"bundle-plan":      {"k8s.io/client-go", "istio.io"},
	"verify-artifacts": {"k8s.io/client-go", "istio.io"},
	"deploy-canary":    nil,
	"shift-weight":     nil,
	"promote":          nil,
	"rollback":         nil,
	"rebuild-cluster":  nil,
}

// tolerated lists third-party importers through which a denied package may
// be linked, with the reason. Each entry is a known wart of a dependency, not
// a licence for aviary code.
var tolerated = map[string]map[string]string{
	"testing": {
		// sigstore's timestamp verification pulls in pkcs7, whose pkcs7.go
		// imports "testing" in non-test code.
		"github.com/digitorus/pkcs7": "imports testing in non-test code (via sigstore)",
	},
}

// deniedBy returns the entry of deny that pkg is, or is under.
func deniedBy(pkg string, deny []string) (string, bool) {
	for _, d := range deny {
		if pkg == d || strings.HasPrefix(pkg, d+"/") {
			return d, true
		}
	}
	return "", false
}

func TestDeniedByPrefix(t *testing.T) {
	tests := []struct {
		pkg  string
		want bool
	}{
		{"k8s.io/client-go", true},
		{"k8s.io/client-go/kubernetes", true},
		{"k8s.io/client-gox", false},
		{"istio.io/client-go/pkg/apis", true},
		{"testing", true},
		{"testing/fstest", true},
		{"github.com/aviary-cd/aviary/internal/devenv/kube", true},
	}
	deny := append([]string{"k8s.io/client-go", "istio.io"}, deniedEverywhere...)
	for _, tt := range tests {
		if _, got := deniedBy(tt.pkg, deny); got != tt.want {
			t.Errorf("deniedBy(%q) = %v, want %v", tt.pkg, got, tt.want)
		}
	}
}

func TestRulesCoverEveryStep(t *testing.T) {
	for _, def := range catalog.All() {
		if _, ok := denied[def.Name]; !ok {
			t.Errorf("step %q of the catalog has no entry in denied", def.Name)
		}
	}
	for _, dir := range stepDirs(t) {
		if _, ok := denied[dir]; !ok {
			t.Errorf("steps/%s has no entry in denied: add the packages it must not link", dir)
		}
	}
}

func TestStepDependencies(t *testing.T) {
	steps := stepDirs(t)
	if len(steps) == 0 {
		t.Fatal("no step directories found")
	}
	for _, name := range steps {
		t.Run(name, func(t *testing.T) {
			deny := append(slices.Clone(deniedEverywhere), denied[name]...)
			for pkg, only := range deniedBut {
				if name != only {
					deny = append(deny, pkg)
				}
			}
			importers := linked(t, "./"+name)
			if _, ok := importers["github.com/aviary-cd/aviary/pkg/step"]; !ok {
				t.Errorf("./steps/%s does not link pkg/step; go list returned %d packages", name, len(importers))
			}
			for pkg, by := range importers {
				d, bad := deniedBy(pkg, deny)
				if !bad {
					continue
				}
				var untolerated []string
				for _, imp := range by {
					if _, ok := tolerated[pkg][imp]; !ok {
						untolerated = append(untolerated, imp)
					}
				}
				if len(untolerated) > 0 || len(by) == 0 {
					slices.Sort(untolerated)
					t.Errorf("./steps/%s links %s (denied: %s), imported by %s", name, pkg, d, strings.Join(untolerated, ", "))
				}
			}
		})
	}
}

// layers lists, per aviary package, packages it must not link: the
// dependencies of pkg/ point one way, from the steps' glue down to the
// model, never back.
var layers = map[string][]string{
	// The catalog describes steps; linking analysis would put the analysis
	// (and html/template through its reports) in every step binary.
	"pkg/catalog": {"github.com/aviary-cd/aviary/pkg/analysis"},
	// The config carries the analysis settings; analysis reads them.
	"pkg/config": {"github.com/aviary-cd/aviary/pkg/analysis"},
	// The plan model and the analysis do not depend on the CLI runtime, and
	// the glue that joins analysis, canary and step lives with the steps
	// (steps/internal/stepgate), not under pkg/analysis.
	"pkg/analysis/...": {
		"github.com/aviary-cd/aviary/pkg/step",
		"github.com/aviary-cd/aviary/pkg/canary",
		"github.com/aviary-cd/aviary/steps",
	},
	// The Istio client belongs with the Istio router (pkg/traffic/istio).
	"pkg/kube": {"istio.io"},
}

func TestPackageLayers(t *testing.T) {
	for dir, deny := range layers {
		t.Run(dir, func(t *testing.T) {
			for pkg, by := range linked(t, "../"+dir) {
				if d, bad := deniedBy(pkg, deny); bad {
					t.Errorf("%s links %s (denied: %s), imported by %s", dir, pkg, d, strings.Join(by, ", "))
				}
			}
		})
	}
}

// linked returns every package that pattern links, each with the packages
// importing it.
func linked(t *testing.T, pattern string) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", pattern).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps %s: %v\n%s", pattern, err, stderr)
	}
	importers := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if _, seen := importers[fields[0]]; !seen {
			importers[fields[0]] = nil
		}
		for _, imp := range fields[1:] {
			importers[imp] = append(importers[imp], fields[0])
		}
	}
	return importers
}

// stepDirs returns the directories under steps/ that hold Go files; one
// being created without them yet is not a step.
func stepDirs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "testdata" {
			continue
		}
		if gos, _ := filepath.Glob(filepath.Join(e.Name(), "*.go")); len(gos) > 0 {
			dirs = append(dirs, e.Name())
		}
	}
	return dirs
}
