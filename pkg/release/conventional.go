package release

import (
	"regexp"
	"strings"
)

// Level is how much a change moves a version: the semver part it bumps.
type Level int

const (
	// LevelNone: the change does not call for a release (docs, chore, ...).
	LevelNone Level = iota
	// LevelPatch: a fix or a performance improvement.
	LevelPatch
	// LevelMinor: a new feature.
	LevelMinor
	// LevelMajor: a breaking change.
	LevelMajor
)

func (l Level) String() string {
	switch l {
	case LevelPatch:
		return "patch"
	case LevelMinor:
		return "minor"
	case LevelMajor:
		return "major"
	default:
		return "none"
	}
}

// Commit is a commit message read as a Conventional Commit
// (https://www.conventionalcommits.org/en/v1.0.0/).
type Commit struct {
	Type     string // lower-cased: feat, fix, perf, docs, ...
	Scope    string // the text between the parentheses, or empty
	Breaking bool   // "!" before the colon, or a BREAKING CHANGE footer
	Subject  string // the description after "type(scope): "
	Header   string // the message's first line, as written
}

// headerRE matches "type(scope)!: description". The type is a word that may
// hold hyphens (a common extension); the scope may not hold parentheses or
// line breaks.
var headerRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_-]*)(?:\(([^()\r\n]*)\))?(!)?: +(\S.*)$`)

// ParseCommit reads msg as a Conventional Commit. It reports false for a
// message whose first line is not "type(scope)!: description": merge commits
// ("Merge branch ..."), reverts ("Revert \"...\""), fixup!/squash! commits and
// free-form messages. Such messages say nothing about the next version.
//
// A breaking change is marked by "!" before the colon or by a footer line
// starting with "BREAKING CHANGE:" or "BREAKING-CHANGE:" (upper case, as the
// specification requires) anywhere after the header.
func ParseCommit(msg string) (Commit, bool) {
	msg = strings.TrimLeft(msg, " \t\r\n")
	header, body, _ := strings.Cut(msg, "\n")
	header = strings.TrimRight(header, " \t\r")
	m := headerRE.FindStringSubmatch(header)
	if m == nil {
		return Commit{}, false
	}
	c := Commit{
		Type:     strings.ToLower(m[1]),
		Scope:    m[2],
		Breaking: m[3] == "!",
		Subject:  m[4],
		Header:   header,
	}
	if !c.Breaking {
		c.Breaking = hasBreakingFooter(body)
	}
	return c, true
}

func hasBreakingFooter(body string) bool {
	for line := range strings.Lines(body) {
		if strings.HasPrefix(line, "BREAKING CHANGE:") || strings.HasPrefix(line, "BREAKING-CHANGE:") {
			return true
		}
	}
	return false
}

// Level says how far the commit moves the version: major for a breaking
// change of any type, minor for feat, patch for fix and perf, none otherwise.
func (c Commit) Level() Level {
	switch {
	case c.Breaking:
		return LevelMajor
	case c.Type == "feat":
		return LevelMinor
	case c.Type == "fix" || c.Type == "perf":
		return LevelPatch
	default:
		return LevelNone
	}
}
