package yamldoc

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
)

// Problem is one thing wrong with a document aviary did not write — the
// release config, the verification policy, the analysis settings however
// they are given — located by its path in the document
// (services[2].image), when known its line and column, and where a step
// input overrides the setting, that input.
type Problem struct {
	Path    string // services[2].image; empty for the whole document
	Input   string // the step input that overrides the setting, if any
	Message string
	Line    int // 1-based; 0 when unknown
	Column  int // 1-based; 0 when unknown
}

// String is the problem on one line: line 6:5: services[0].image (input
// image): is required. A problem without a column names its line alone.
func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.Line > 0 && p.Column > 0:
		fmt.Fprintf(&b, "line %d:%d: ", p.Line, p.Column)
	case p.Line > 0:
		fmt.Fprintf(&b, "line %d: ", p.Line)
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

// Problems is every problem found in one file, as an error, so that a user
// sees all of them at once, each where a compiler would put it:
//
//	aviary.yaml: 2 problems
//	  aviary.yaml:6:5: services[0].replicas: unknown field "replicas"
//	  aviary.yaml: services: at least one service is required
type Problems struct {
	File string // the file's name as the user knows it: aviary.yaml
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

// SortProblems orders problems by position, unpositioned ones last, keeping
// the order of discovery among equals.
func SortProblems(list []Problem) {
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

// ProblemOf turns an error of Parse or of go-yaml's decoder into a problem
// at the error's position.
func ProblemOf(err error) Problem {
	var le *Error
	if errors.As(err, &le) {
		return Problem{Message: le.Message, Line: le.Line, Column: le.Column}
	}
	var ye yaml.Error
	if errors.As(err, &ye) {
		p := Problem{Message: ye.GetMessage()}
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			p.Line, p.Column = tk.Position.Line, tk.Position.Column
		}
		return p
	}
	return Problem{Message: err.Error()}
}
