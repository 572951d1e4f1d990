package release

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// The words the bump input accepts.
const (
	BumpAuto       = "auto"
	BumpMajor      = "major"
	BumpMinor      = "minor"
	BumpPatch      = "patch"
	BumpPrerelease = "prerelease"
)

// BumpWords lists the accepted bump words in the order error messages name them.
var BumpWords = []string{BumpMajor, BumpMinor, BumpPatch, BumpPrerelease, BumpAuto}

// FirstVersion is the version of a repository's first release, unless the
// bump is major (1.0.0) or prerelease (0.1.0-rc.1).
var FirstVersion = semver.New(0, 1, 0, "", "")

// PrereleaseID is the identifier a prerelease series starts with: 1.2.4-rc.1.
const PrereleaseID = "rc"

// Reason says why a version was chosen, for people reading the step summary.
type Reason struct {
	// How names the rule applied: major, minor, patch or prerelease for a
	// requested or computed bump, "first" for a first release, "explicit"
	// for a version given as input, "existing" for a release that already
	// existed.
	How string
	// Auto is set when the bump was computed from Conventional Commits.
	Auto bool
	// Commits are the headers of the commits that decided an automatic bump
	// (those of the highest level found), newest first.
	Commits []string
	// Text is one sentence saying the above.
	Text string
}

func (r Reason) String() string { return r.Text }

// ValidateBump reports an outcome.Invalid error unless bump is empty or one
// of BumpWords.
func ValidateBump(bump string) error {
	if bump == "" {
		return nil
	}
	for _, w := range BumpWords {
		if bump == w {
			return nil
		}
	}
	return outcome.Invalidf("bump %q is not one of: %s (empty means auto)", bump, strings.Join(BumpWords, ", "))
}

// ParseVersion parses an explicit version: strict semver X.Y.Z with optional
// -prerelease and +metadata, and an optional leading "v".
func ParseVersion(s string) (*semver.Version, error) {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(s, "v"))
	if err != nil {
		return nil, outcome.Invalidf("version %q is not a semantic version X.Y.Z[-prerelease][+build]: %w", s, err)
	}
	return v, nil
}

// Next decides the version after latest (nil when nothing was released yet).
//
// bump is major, minor, patch, prerelease, or empty/auto. Auto reads commits
// (full messages, newest first) as Conventional Commits and takes the highest
// level among them: a breaking change → major, feat → minor, fix/perf → patch.
// When no commit is release-worthy (only docs, chore, non-conventional
// messages, or none at all), auto bumps patch: the step was asked to open a
// release, and a patch release is the smallest one that can be.
//
// Bumping from a prerelease finishes it when it already carries that level of
// change, as npm does: 1.3.0-rc.1 with patch or minor → 1.3.0, with major →
// 2.0.0; 2.0.0-rc.1 with major → 2.0.0. A prerelease bump continues a series
// (1.3.0-rc.1 → 1.3.0-rc.2, 1.3.0-beta → 1.3.0-beta.1) or starts one after a
// final release (1.2.3 → 1.2.4-rc.1). Build metadata is dropped.
//
// The first release is FirstVersion (0.1.0), or 1.0.0 for a major bump, or
// 0.1.0-rc.1 for a prerelease bump; commits do not matter for it, as there is
// nothing earlier to be compatible with.
func Next(latest *semver.Version, bump string, commits []string) (semver.Version, Reason, error) {
	if err := ValidateBump(bump); err != nil {
		return semver.Version{}, Reason{}, err
	}
	if bump == "" {
		bump = BumpAuto
	}
	if latest == nil {
		return first(bump)
	}
	switch bump {
	case BumpPrerelease:
		return nextPrerelease(latest), Reason{How: bump, Text: "prerelease bump requested"}, nil
	case BumpMajor, BumpMinor, BumpPatch:
		return apply(latest, levelOf(bump)), Reason{How: bump, Text: bump + " bump requested"}, nil
	}
	level, deciding := decide(commits)
	r := Reason{Auto: true, Commits: deciding}
	if level == LevelNone {
		level = LevelPatch
		r.Text = fmt.Sprintf("no feat, fix, perf or breaking commits since %s; patch by default", latest)
	} else {
		r.Text = fmt.Sprintf("%s from %s since %s", level, plural(len(deciding), "commit"), latest)
	}
	r.How = level.String()
	return apply(latest, level), r, nil
}

func first(bump string) (semver.Version, Reason, error) {
	r := Reason{How: "first", Auto: bump == BumpAuto}
	switch bump {
	case BumpMajor:
		r.Text = "first release, major bump requested"
		return *semver.New(1, 0, 0, "", ""), r, nil
	case BumpPrerelease:
		r.Text = "first release, prerelease requested"
		return *semver.New(FirstVersion.Major(), FirstVersion.Minor(), FirstVersion.Patch(), PrereleaseID+".1", ""), r, nil
	}
	r.Text = "first release"
	return *FirstVersion, r, nil
}

// decide returns the highest level among commits and the headers of the
// commits at that level.
func decide(commits []string) (Level, []string) {
	top := LevelNone
	var headers []string
	for _, msg := range commits {
		c, ok := ParseCommit(msg)
		if !ok {
			continue
		}
		switch l := c.Level(); {
		case l == LevelNone || l < top:
		case l > top:
			top, headers = l, []string{c.Header}
		default:
			headers = append(headers, c.Header)
		}
	}
	return top, headers
}

func levelOf(bump string) Level {
	switch bump {
	case BumpMajor:
		return LevelMajor
	case BumpMinor:
		return LevelMinor
	default:
		return LevelPatch
	}
}

func apply(v *semver.Version, l Level) semver.Version {
	maj, min, pat := v.Major(), v.Minor(), v.Patch()
	pre := v.Prerelease() != ""
	switch l {
	case LevelMajor:
		if !pre || min != 0 || pat != 0 {
			maj, min, pat = maj+1, 0, 0
		}
	case LevelMinor:
		if !pre || pat != 0 {
			min, pat = min+1, 0
		}
	default:
		if !pre {
			pat++
		}
	}
	return *semver.New(maj, min, pat, "", "")
}

func nextPrerelease(v *semver.Version) semver.Version {
	if v.Prerelease() == "" {
		return *semver.New(v.Major(), v.Minor(), v.Patch()+1, PrereleaseID+".1", "")
	}
	ids := strings.Split(v.Prerelease(), ".")
	last := ids[len(ids)-1]
	if n, err := strconv.ParseUint(last, 10, 64); err == nil {
		ids[len(ids)-1] = strconv.FormatUint(n+1, 10)
	} else {
		ids = append(ids, "1")
	}
	return *semver.New(v.Major(), v.Minor(), v.Patch(), strings.Join(ids, "."), "")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
