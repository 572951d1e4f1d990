package release

import (
	"strings"
	"testing"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

func TestBranchPattern(t *testing.T) {
	tests := []struct {
		pattern string
		version string
		name    string
		back    string // the version read back from name
	}{
		{"release/X.Y.Z", "1.2.3", "release/1.2.3", "1.2.3"},
		{"releases/vX.Y.Z", "1.3.0-rc.1", "releases/v1.3.0-rc.1", "1.3.0-rc.1"},
		{"X.Y.Z-release", "0.1.0", "0.1.0-release", "0.1.0"},
		{"release/X.Y.Z", "1.2.3+build.1", "release/1.2.3", "1.2.3"},
	}
	for _, tt := range tests {
		p, err := ParseBranchPattern(tt.pattern)
		if err != nil {
			t.Fatalf("ParseBranchPattern(%q) error = %v", tt.pattern, err)
		}
		if got := p.Name(v(tt.version)); got != tt.name {
			t.Errorf("ParseBranchPattern(%q).Name(%s) = %q, want %q", tt.pattern, tt.version, got, tt.name)
		}
		back, ok := p.Version(tt.name)
		if !ok || back.String() != tt.back {
			t.Errorf("ParseBranchPattern(%q).Version(%q) = %v, %v, want %s", tt.pattern, tt.name, back, ok, tt.back)
		}
	}

	p, _ := ParseBranchPattern("release/X.Y.Z")
	for _, name := range []string{"release/1.2", "release/v1.2.3", "release/1.2.3/x", "main", "releases/1.2.3", "release/1.2.3-"} {
		if got, ok := p.Version(name); ok {
			t.Errorf("Version(%q) = %v, true, want no match", name, got)
		}
	}
}

func TestParseBranchPatternInvalid(t *testing.T) {
	for _, pattern := range []string{"release", "release/X.Y", "X.Y.Z/X.Y.Z", "release X.Y.Z", "release/X.Y.Z.lock", "/X.Y.Z", "rel..ease/X.Y.Z"} {
		if _, err := ParseBranchPattern(pattern); outcome.KindOf(err) != outcome.KindInvalid {
			t.Errorf("ParseBranchPattern(%q) error = %v, want an Invalid error", pattern, err)
		}
	}
}

// TestBranchNamesNoRepositoryHolds: a branch name longer than a file name
// or a path can be, given in the pattern or made by a long version, is an
// input that can never work (exit 2), refused before anything is written.
func TestBranchNamesNoRepositoryHolds(t *testing.T) {
	long := strings.Repeat("a", 120_000)
	for _, pattern := range []string{
		"release/" + long + "/X.Y.Z",
		"release/X.Y.Z-" + strings.Repeat("b", 250),
		strings.Repeat("part/", 900) + "X.Y.Z",
	} {
		_, err := ParseBranchPattern(pattern)
		if outcome.KindOf(err) != outcome.KindInvalid || !strings.Contains(err.Error(), "holds at most") {
			t.Errorf("ParseBranchPattern(%d bytes) error = %.200v, want Invalid saying what git holds", len(pattern), err)
		}
		if err != nil && len(err.Error()) > 400 {
			t.Errorf("ParseBranchPattern(%d bytes) error is %d bytes long; quote the pattern short", len(pattern), len(err.Error()))
		}
	}
	r := newTestRepo(t)
	tip := r.commit("initial")
	err := r.open().CreateBranch("release/1.0.0-"+strings.Repeat("c", 300), tip)
	if outcome.KindOf(err) != outcome.KindInvalid {
		t.Errorf("CreateBranch(a 300-byte part) error = %v, want Invalid", err)
	}
}

func TestTagVersion(t *testing.T) {
	for tag, want := range map[string]string{"v1.2.3": "1.2.3", "1.2.3": "1.2.3", "v2.0.0-rc.1": "2.0.0-rc.1"} {
		if got, ok := TagVersion(tag); !ok || got.String() != want {
			t.Errorf("TagVersion(%q) = %v, %v, want %s", tag, got, ok, want)
		}
	}
	for _, tag := range []string{"v1.2", "latest", "release-1.2.3", "V1.2.3", "vv1.2.3"} {
		if got, ok := TagVersion(tag); ok {
			t.Errorf("TagVersion(%q) = %v, true, want no match", tag, got)
		}
	}
}
