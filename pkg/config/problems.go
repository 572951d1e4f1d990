package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a config, located by its path in the
// document (services[2].image), when known its line and column, and where a
// step input overrides the setting, that input.
type Problem struct {
	Path    string // services[2].image; empty for the whole document
	Input   string // the step input that overrides the setting, if any
	Message string
	Line    int // 1-based; 0 when unknown
	Column  int // 1-based; 0 when unknown
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d:%d: ", p.Line, p.Column)
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		if p.Input != "" {
			fmt.Fprintf(&b, " (input %s)", p.Input)
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found in one config file. Parse returns it
// (wrapped as outcome.Invalid) so that a user sees all of them at once.
type Problems struct {
	File string // the config's name as the user knows it: aviary.yaml
	List []Problem
}

func (ps *Problems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem", ps.File, len(ps.List))
	if len(ps.List) != 1 {
		b.WriteString("s")
	}
	for _, p := range ps.List {
		b.WriteString("\n  ")
		b.WriteString(ps.File)
		b.WriteString(":")
		if p.Line > 0 {
			fmt.Fprintf(&b, "%d:%d:", p.Line, p.Column)
		}
		b.WriteString(" ")
		if p.Path != "" {
			b.WriteString(p.Path)
			b.WriteString(": ")
		}
		b.WriteString(p.Message)
	}
	return b.String()
}

// sortProblems orders problems by position, unpositioned ones last, keeping
// the order of discovery among equals.
func sortProblems(list []Problem) {
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if (a.Line == 0) != (b.Line == 0) {
			return a.Line != 0
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// problemList collects problems during validation.
type problemList []Problem

func (l *problemList) add(path, format string, args ...any) {
	*l = append(*l, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}
