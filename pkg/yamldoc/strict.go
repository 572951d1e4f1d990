package yamldoc

import (
	"bytes"
	"fmt"
	"reflect"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// Decoded is a document DecodeStrict decoded: where each of its paths
// starts, to place the problems later validation finds.
type Decoded struct {
	positions map[string]position
}

// Locate finds the line and column of path (services[2].image), or of its
// nearest ancestor in the document; 0, 0 when none of them is there.
func (d *Decoded) Locate(path string) (line, column int) {
	for path != "" {
		if p, ok := d.positions[path]; ok {
			return p.line, p.column
		}
		path = parent(path)
	}
	return 0, 0
}

// DecodeStrict reads data as one YAML document of the kind what ("config",
// "policy") and decodes it into v, a pointer to a struct whose fields YAML
// names by their json tags. It reports every problem it finds at once, in
// the order of the document: a document that is empty, not YAML, over
// limits (see Parse) or not exactly one document; then, from a walk of the
// syntax tree beside v's type, every unknown field (with the known field it
// differs from by case only), duplicate key and mapping, list or single
// value where the type wants another; then what the decoder refuses (a value
// of the wrong type).
//
// The returned *Decoded is nil when v could not be decoded; otherwise v
// holds the document, unknown fields left out, and validation may go on
// beside the problems already found.
func DecodeStrict(data []byte, limits Limits, what string, v any) (*Decoded, []Problem) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, []Problem{{Message: "file is empty"}}
	}
	// Bounded before go-yaml builds or decodes anything.
	file, err := Parse(data, limits)
	if err != nil {
		return nil, []Problem{ProblemOf(err)}
	}
	if len(file.Docs) != 1 {
		return nil, []Problem{{Message: fmt.Sprintf("holds %d YAML documents; a %s is one document", len(file.Docs), what)}}
	}
	if file.Docs[0].Body == nil {
		return nil, []Problem{{Message: "the document is empty"}}
	}
	sh := newShape()
	sh.walk(file.Docs[0], reflect.TypeOf(v), "")
	var opts []yaml.DecodeOption
	if len(sh.problems) == 0 {
		// The walk found no unknown field; let the decoder check too.
		opts = append(opts, yaml.DisallowUnknownField())
	}
	// The tree, not data: Parse resolved its merge keys.
	if err := nodeToValue(file.Docs[0].Body, v, opts...); err != nil {
		p := ProblemOf(err)
		if !sameLine(sh.problems, p) {
			sh.problems = append(sh.problems, p)
		}
		return nil, sh.problems
	}
	return &Decoded{positions: sh.positions}, sh.problems
}

// parent drops the last element of a path: a.b[2].c → a.b[2] → a.b → a.
func parent(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		switch path[i] {
		case '.', '[':
			return path[:i]
		}
	}
	return ""
}

// sameLine reports whether a problem of list already stands on p's line.
func sameLine(list []Problem, p Problem) bool {
	for _, q := range list {
		if q.Line == p.Line && q.Line != 0 {
			return true
		}
	}
	return false
}

// nodeToValue is yaml.NodeToValue with go-yaml's panics turned into an
// error: the fuzzer found trees it builds and then cannot decode (a tagged
// scalar where a list is wanted made it dereference nil).
func nodeToValue(node ast.Node, v any, opts ...yaml.DecodeOption) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the YAML decoder failed on this document (%v): check the shape of its values", r)
		}
	}()
	return yaml.NodeToValue(node, v, opts...)
}
