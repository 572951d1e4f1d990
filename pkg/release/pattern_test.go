package release

import (
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
