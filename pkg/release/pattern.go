package release

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// VersionPlaceholder is the part of a branch pattern replaced by the version.
const VersionPlaceholder = "X.Y.Z"

// DefaultBranchPattern names release branches release/1.2.3.
const DefaultBranchPattern = "release/" + VersionPlaceholder

// BranchPattern names release branches: the version between a fixed prefix
// and suffix, as in release/X.Y.Z or releases/vX.Y.Z-rc.
type BranchPattern struct {
	prefix, suffix string
}

// ParseBranchPattern checks that pattern holds X.Y.Z exactly once and that
// the names it makes are valid branch names.
func ParseBranchPattern(pattern string) (BranchPattern, error) {
	if n := strings.Count(pattern, VersionPlaceholder); n != 1 {
		return BranchPattern{}, outcome.Invalidf("branch pattern %q must contain %s exactly once (found %d), as in %s",
			pattern, VersionPlaceholder, n, DefaultBranchPattern)
	}
	prefix, suffix, _ := strings.Cut(pattern, VersionPlaceholder)
	p := BranchPattern{prefix: prefix, suffix: suffix}
	sample := p.Name(semver.New(1, 2, 3, "rc.1", ""))
	if err := plumbing.NewBranchReferenceName(sample).Validate(); err != nil {
		return BranchPattern{}, outcome.Invalidf("branch pattern %s makes %s, which is not a valid branch name", quote(pattern), quote(sample))
	}
	if err := checkBranchLength(sample); err != nil {
		return BranchPattern{}, outcome.Invalidf("branch pattern %s: %w", quote(pattern), err)
	}
	return p, nil
}

// Git keeps a branch as a file, .git/refs/heads/<name>: each part of the name
// between slashes is a file name and the whole a path, which file systems
// bound (NAME_MAX, PATH_MAX); remotes refuse such names too.
const (
	maxBranchPart = 255
	maxBranchName = 4000
)

// checkBranchLength refuses a branch name no repository can hold.
func checkBranchLength(name string) error {
	if len(name) > maxBranchName {
		return fmt.Errorf("the branch name would be %d bytes; git stores it as a file path, which holds at most %d", len(name), maxBranchName)
	}
	for _, part := range strings.Split(name, "/") {
		if len(part) > maxBranchPart {
			return fmt.Errorf("the branch name %s has a part of %d bytes between slashes; git stores each as a file name, which holds at most %d", quote(name), len(part), maxBranchPart)
		}
	}
	return nil
}

// quote quotes s for a message, cut to 64 bytes.
func quote(s string) string {
	if len(s) <= 64 {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q... (%d bytes)", s[:64], len(s))
}

// Name is the branch name for v, without build metadata.
func (p BranchPattern) Name(v *semver.Version) string {
	return p.prefix + withoutMetadata(v) + p.suffix
}

// Cut returns the part of a branch name that stands for the version,
// reporting false when the name does not match the pattern. The part is
// not checked: it may not be a version at all.
func (p BranchPattern) Cut(branch string) (string, bool) {
	rest, ok := strings.CutPrefix(branch, p.prefix)
	if !ok {
		return "", false
	}
	return strings.CutSuffix(rest, p.suffix)
}

// Version reads the version out of a branch name, reporting false when the
// name does not match the pattern or the middle is not strict semver.
func (p BranchPattern) Version(branch string) (*semver.Version, bool) {
	mid, ok := p.Cut(branch)
	if !ok {
		return nil, false
	}
	v, err := semver.StrictNewVersion(mid)
	if err != nil {
		return nil, false
	}
	return v, true
}

func (p BranchPattern) String() string { return p.prefix + VersionPlaceholder + p.suffix }

// TagVersion reads a release version out of a tag name: vX.Y.Z or X.Y.Z,
// with optional prerelease and build metadata.
func TagVersion(tag string) (*semver.Version, bool) {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(tag, "v"))
	return v, err == nil
}

func withoutMetadata(v *semver.Version) string {
	w, _ := v.SetMetadata("")
	return w.String()
}
