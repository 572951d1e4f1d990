package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckObjects(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		n    int
		err  string
	}{
		{"one", "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n", 1, ""},
		{"several with blanks and comments", "---\n# c\n---\napiVersion: v1\nkind: A\nmetadata: {name: a}\n---\n\n---\napiVersion: v1\nkind: B\nmetadata: {name: b}\n", 2, ""},
		{"empty file", "", 0, ""},
		{"no kind", "apiVersion: v1\nmetadata: {name: a}\n", 0, "document 1: kind is missing"},
		{"no name", "apiVersion: v1\nkind: A\nmetadata: {}\n", 0, "document 1 (A): metadata.name is missing"},
		{"no apiVersion in the second", "apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\nkind: B\n", 0, "document 2: apiVersion is missing"},
		{"not a mapping", "- a\n- b\n", 0, "document 1"},
		{"bad yaml", "apiVersion: [v1\n", 0, "document 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := CheckObjects([]byte(tt.yaml))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("CheckObjects() error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || n != tt.n {
				t.Errorf("CheckObjects() = %d, %v; want %d", n, err, tt.n)
			}
			// DecodeObjects agrees.
			objs, err := DecodeObjects([]byte(tt.yaml))
			if err != nil || len(objs) != tt.n {
				t.Errorf("DecodeObjects() = %d objects, %v; want %d", len(objs), err, tt.n)
			}
		})
	}
}

func TestLoadedHelpers(t *testing.T) {
	_, files := samplePlan()
	l := &Loaded{Manifests: files}
	var paths []string
	for _, f := range l.ServiceFiles("api") {
		paths = append(paths, f.Path)
	}
	if diff := cmp.Diff([]string{"api/deployment.yaml", "api/extra/hpa.yaml"}, paths); diff != "" {
		t.Errorf("ServiceFiles(api) (-want +got):\n%s", diff)
	}
	docs, err := l.ServiceDocuments("api")
	if err != nil || len(docs) != 3 {
		t.Errorf("ServiceDocuments(api) = %d docs, %v; want 3", len(docs), err)
	}
	if got := l.ServiceFiles("ap"); len(got) != 0 {
		t.Errorf("ServiceFiles(ap) = %v, want none (prefix of another service)", got)
	}
	if objs, err := l.ServiceObjects("nothing"); err != nil || len(objs) != 0 {
		t.Errorf("ServiceObjects(nothing) = %v, %v; want none", objs, err)
	}
}

func TestCheckVersion(t *testing.T) {
	for v, ok := range map[string]bool{
		"1.0.0": true, "0.1.0": true, "2.0.0-rc.1": true, "1.4.0+build.7": true,
		"1.0": false, "v1.0.0": false, "01.0.0": false, "1.0.0-": false, "": false,
	} {
		if err := CheckVersion(v); (err == nil) != ok {
			t.Errorf("CheckVersion(%q) = %v, want ok=%v", v, err, ok)
		}
	}
	if got := VersionTag("1.4.0+build.7"); got != "1.4.0_build.7" {
		t.Errorf("VersionTag(1.4.0+build.7) = %q", got)
	}
}
