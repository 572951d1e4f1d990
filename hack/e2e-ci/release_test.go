package e2eci

import (
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// imageLine finds the image of an adapter: runs.image in action.yml
// (docker://...), image: in Tekton's YAML, image.name in a component.
var imageLine = regexp.MustCompile(`(?m)^\s*(?:image|name): (?:docker://)?(\S+/aviary-cd/[a-z-]+\S*)\s*$`)

// pinnedRefs returns every image reference the adapters under root use,
// checking that each is pinned by digest.
func pinnedRefs(t *testing.T, root string) map[string][]string {
	t.Helper()
	refs := map[string][]string{} // ref → files using it
	for _, glob := range []string{"actions/*/action.yml", "tekton/*/task.yaml", "tekton/*/stepaction.yaml", "templates/*.yml"} {
		files, err := filepath.Glob(filepath.Join(root, glob))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("no adapters %s under %s", glob, root)
		}
		for _, file := range files {
			ms := imageLine.FindAllStringSubmatch(readFile(t, file), -1)
			if len(ms) != 1 {
				t.Errorf("%s: %d image references, want 1", file, len(ms))
				continue
			}
			ref := ms[0][1]
			rel, _ := filepath.Rel(root, file)
			if !strings.Contains(ref, "@sha256:") {
				t.Errorf("%s: image %s is not pinned by digest", rel, ref)
			}
			refs[ref] = append(refs[ref], rel)
		}
	}
	return refs
}

// TestReleasePins checks what the release workflow pins: hack/generate
// --pin with hack/images' record of the pushed images gives adapters whose
// every image is pinned by digest to an image the build pushed — the root
// variant in actions/, the nonroot one in tekton/, the debug one in
// templates/ — and nothing else. TestVerifyOwnImages verifies the same
// images.
func TestReleasePins(t *testing.T) {
	f := get(t)
	byRef := map[string]string{}
	for _, r := range f.records.Images {
		byRef[r.Ref] = r.Step + " " + r.Variant
	}
	refs := pinnedRefs(t, f.pinned)
	var used []string
	for ref, files := range refs {
		what, ok := byRef[ref]
		if !ok {
			t.Errorf("%v pin %s, which the build did not push", files, ref)
			continue
		}
		step, variant, _ := strings.Cut(what, " ")
		for _, file := range files {
			want := map[string]string{"actions": "root", "tekton": "nonroot", "templates": "debug"}[strings.Split(file, "/")[0]]
			if variant != want || !strings.Contains(file, step) {
				t.Errorf("%s pins %s (%s), want the %s image of its step", file, ref, what, want)
			}
		}
		used = append(used, what)
	}
	sort.Strings(used)
	if len(used) != len(f.records.Images) {
		t.Errorf("the adapters use %d of the %d pushed images: %v", len(used), len(f.records.Images), used)
	}
}
