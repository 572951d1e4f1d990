package yamldoc

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// position is a 1-based line and column.
type position struct{ line, column int }

// shape walks a YAML syntax tree beside the Go type it will decode into. It
// finds every unknown field and every duplicate key at once (a decoder stops
// at the first), notes mappings and sequences where the type wants the other,
// and records where each path starts so later validation problems can name
// their line.
type shape struct {
	positions map[string]position
	problems  []Problem
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

func newShape() *shape { return &shape{positions: map[string]position{}} }

func (s *shape) problem(n ast.Node, path, format string, args ...any) {
	p := Problem{Path: path, Message: fmt.Sprintf(format, args...)}
	if pos, ok := positionOf(n); ok {
		p.Line, p.Column = pos.line, pos.column
	}
	s.problems = append(s.problems, p)
}

func (s *shape) mark(n ast.Node, path string) {
	if _, ok := s.positions[path]; ok {
		return
	}
	if pos, ok := positionOf(n); ok {
		s.positions[path] = pos
	}
}

// positionOf is where a node starts as a reader sees it: a block mapping at
// its first key (its own token is the ':').
func positionOf(n ast.Node) (position, bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		if len(m.Values) > 0 && !m.IsFlowStyle {
			return positionOf(m.Values[0])
		}
	case *ast.MappingValueNode:
		return positionOf(m.Key)
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return position{tk.Position.Line, tk.Position.Column}, true
	}
	return position{}, false
}

// valueOf looks through the document, tags and anchors; it returns nil for
// aliases, which the decoder resolves and checks itself.
func valueOf(n ast.Node) ast.Node {
	if d, ok := n.(*ast.DocumentNode); ok {
		n = d.Body
	}
	n = unwrap(n)
	if _, alias := n.(*ast.AliasNode); alias {
		return nil
	}
	return n
}

func (s *shape) walk(n ast.Node, t reflect.Type, path string) {
	n = valueOf(n)
	if n == nil {
		return
	}
	s.mark(n, path)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if _, null := n.(*ast.NullNode); null {
		return
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		// A scalar written as text: check it here, where its position is
		// known (the decoder reports a text error without one).
		if sn, ok := n.(*ast.StringNode); ok {
			v := reflect.New(t).Interface().(encoding.TextUnmarshaler)
			if err := v.UnmarshalText([]byte(sn.Value)); err != nil {
				s.problem(n, path, "%v", err)
			}
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		s.walkStruct(n, t, path)
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			s.problem(n, path, "must be a list")
			return
		}
		for i, item := range seq.Values {
			s.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	default:
		switch n.(type) {
		case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
			s.problem(n, path, "must be a single value, not a %s", nodeKind(n))
		}
	}
}

func (s *shape) walkStruct(n ast.Node, t reflect.Type, path string) {
	var entries []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		entries = m.Values
	case *ast.MappingValueNode:
		entries = []*ast.MappingValueNode{m}
	default:
		s.problem(n, path, "must be a mapping, not a %s", nodeKind(n))
		return
	}
	fields := fieldsOf(t)
	seen := map[string]bool{}
	for _, e := range entries {
		if _, merge := e.Key.(*ast.MergeKeyNode); merge {
			s.walk(e.Value, t, path)
			continue
		}
		name := keyOf(e.Key)
		child := join(path, name)
		if seen[name] {
			s.problem(e.Key, child, "duplicate key %q", name)
			continue
		}
		seen[name] = true
		ft, ok := fields[name]
		if !ok {
			s.problem(e.Key, child, "unknown field %q%s", name, suggest(name, fields))
			continue
		}
		s.walk(e.Value, ft, child)
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func nodeKind(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "mapping"
	case *ast.SequenceNode:
		return "list"
	default:
		return "single value"
	}
}

// fieldsOf maps the YAML names of t's fields to their types, the same names
// the decoder uses (the json tag).
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = f.Type
	}
	return m
}

// suggest names a known field that differs from name only by case, the
// commonest slip (initialweight for initialWeight).
func suggest(name string, fields map[string]reflect.Type) string {
	for known := range fields {
		if strings.EqualFold(known, name) {
			return fmt.Sprintf(" (did you mean %q?)", known)
		}
	}
	return ""
}
