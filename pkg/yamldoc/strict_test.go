package yamldoc

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type strictDoc struct {
	Name  string       `json:"name"`
	Ports []int        `json:"ports,omitempty"`
	Owner *strictOwner `json:"owner,omitempty"`
}

type strictOwner struct {
	Team string `json:"team"`
}

func TestDecodeStrict(t *testing.T) {
	tests := []struct {
		name, data string
		decoded    bool
		want       []Problem
	}{
		{"fine", "name: a\nports: [1, 2]\nowner: {team: t}\n", true, nil},
		{"empty", " \n", false, []Problem{{Message: "file is empty"}}},
		{"two documents", "name: a\n---\nname: b\n", false, []Problem{{Message: "holds 2 YAML documents; a thing is one document"}}},
		{"empty document", "# nothing\n", false, []Problem{{Message: "the document is empty"}}},
		{"over a limit", "ports: [[[[1]]]]\n", false, []Problem{{Message: "nesting deeper than 3 levels", Line: 1, Column: 10}}},
		{
			"every unknown field, decoded anyway", "name: a\nnmae: b\nowner:\n  Team: t\n  size: 3\n", true,
			[]Problem{
				{Path: "nmae", Message: `unknown field "nmae"`, Line: 2, Column: 1},
				{Path: "owner.Team", Message: `unknown field "Team" (did you mean "team"?)`, Line: 4, Column: 3},
				{Path: "owner.size", Message: `unknown field "size"`, Line: 5, Column: 3},
			},
		},
		{"mapping for a list", "ports: {a: 1}\n", false, []Problem{{Path: "ports", Message: "must be a list", Line: 1, Column: 8}}},
		{"list for a single value", "name: [a]\n", false, []Problem{{Path: "name", Message: "must be a single value, not a list", Line: 1, Column: 7}}},
		{"wrong type, not decoded", "name: a\nports: [x]\n", false, []Problem{{Message: "cannot unmarshal string into Go struct field strictDoc.Ports of type int", Line: 2, Column: 9}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v strictDoc
			doc, got := DecodeStrict([]byte(tt.data), Limits{Depth: 3}, "thing", &v)
			if (doc != nil) != tt.decoded {
				t.Errorf("DecodeStrict(%q) decoded = %v, want %v", tt.data, doc != nil, tt.decoded)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecodeStrict(%q) problems (-want +got):\n%s", tt.data, diff)
			}
		})
	}
}

func TestDecodedLocate(t *testing.T) {
	var v strictDoc
	doc, problems := DecodeStrict([]byte("name: a\nports:\n  - 1\n  - 2\nowner:\n  team: t\n"), Limits{}, "thing", &v)
	if doc == nil || len(problems) > 0 {
		t.Fatalf("DecodeStrict() = %v, %v; want a document, no problems", doc, problems)
	}
	tests := []struct {
		path         string
		line, column int
	}{
		{"name", 1, 7},
		{"ports[1]", 4, 5},
		{"ports[7]", 3, 3}, // not there: its nearest ancestor, the list
		{"owner.team", 6, 9},
		{"owner.size", 6, 3},
		{"other", 0, 0},
	}
	for _, tt := range tests {
		line, column := doc.Locate(tt.path)
		if line != tt.line || column != tt.column {
			t.Errorf("Locate(%q) = %d, %d; want %d, %d", tt.path, line, column, tt.line, tt.column)
		}
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{Message: "file is empty"}, "file is empty"},
		{Problem{Path: "a.b", Message: "is required"}, "a.b: is required"},
		{Problem{Path: "a.b", Input: "in-b", Message: "is required", Line: 3, Column: 5}, "line 3:5: a.b (input in-b): is required"},
		{Problem{Path: "a", Message: "bad", Line: 3}, "line 3: a: bad"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestProblemsError(t *testing.T) {
	list := []Problem{
		{Path: "services", Message: "at least one service is required"},
		{Path: "b", Message: "second", Line: 7, Column: 1},
		{Path: "a", Message: "first", Line: 2, Column: 4},
	}
	SortProblems(list)
	var err error = &Problems{File: "aviary.yaml", List: list}
	want := strings.Join([]string{
		"aviary.yaml: 3 problems",
		"  aviary.yaml:2:4: a: first",
		"  aviary.yaml:7:1: b: second",
		"  aviary.yaml: services: at least one service is required",
	}, "\n")
	if got := err.Error(); got != want {
		t.Errorf("Problems.Error() = %q, want %q", got, want)
	}
	var ps *Problems
	if !errors.As(err, &ps) || len(ps.List) != 3 {
		t.Errorf("errors.As(*Problems) = %v, want the list", ps)
	}
}
