package yamldoc

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
)

// resolveMerges rewrites every mapping that holds merge keys (<<) into the
// plain mapping YAML defines it to be, in place, so that go-yaml's decoder
// never sees a merge key: it gets them wrong (a key given before "<<" is
// overwritten by the merged one, a key given beside it is a "duplicate key"
// error when decoding into a struct, and "<<: [*a, *b]" decodes into no
// struct at all).
//
// The rules (YAML 1.1 merge key type): the mapping's own keys win over
// merged ones, wherever they are written; with a list of mappings the
// earlier one wins. Merged mappings are resolved first, so merges nest.
// Anchors are resolved in document order, as aliases are.
func resolveMerges(file *ast.File) error {
	r := resolver{anchors: map[string]ast.Node{}}
	for _, doc := range file.Docs {
		body, err := r.resolve(doc.Body)
		if err != nil {
			return err
		}
		doc.Body = body
	}
	return nil
}

type resolver struct {
	anchors map[string]ast.Node // anchor name → its (resolved) node
}

// resolve resolves n's subtree and returns the node to put in n's place.
func (r *resolver) resolve(n ast.Node) (ast.Node, error) {
	switch v := n.(type) {
	case *ast.AnchorNode:
		value, err := r.resolve(v.Value)
		if err != nil {
			return nil, err
		}
		v.Value = value
		r.anchors[v.Name.GetToken().Value] = value
	case *ast.TagNode:
		value, err := r.resolve(v.Value)
		if err != nil {
			return nil, err
		}
		v.Value = value
	case *ast.SequenceNode:
		for i, item := range v.Values {
			value, err := r.resolve(item)
			if err != nil {
				return nil, err
			}
			v.Values[i] = value
		}
	case *ast.MappingValueNode:
		// A mapping of one entry.
		if _, merge := v.Key.(*ast.MergeKeyNode); merge {
			m := ast.Mapping(v.GetToken(), v.IsFlowStyle, v)
			return r.resolve(m)
		}
		return v, r.resolveEntry(v)
	case *ast.MappingNode:
		return v, r.resolveMapping(v)
	}
	return n, nil
}

func (r *resolver) resolveEntry(e *ast.MappingValueNode) error {
	value, err := r.resolve(e.Value)
	if err != nil {
		return err
	}
	e.Value = value
	return nil
}

func (r *resolver) resolveMapping(m *ast.MappingNode) error {
	var own, merges []*ast.MappingValueNode
	for _, e := range m.Values {
		if err := r.resolveEntry(e); err != nil {
			return err
		}
		if _, merge := e.Key.(*ast.MergeKeyNode); merge {
			merges = append(merges, e)
		} else {
			own = append(own, e)
		}
	}
	if len(merges) == 0 {
		return nil
	}
	seen := map[string]bool{}
	for _, e := range own {
		seen[keyOf(e.Key)] = true
	}
	values := own
	for _, e := range merges {
		sources := []ast.Node{e.Value}
		if seq, ok := unwrap(e.Value).(*ast.SequenceNode); ok {
			sources = seq.Values
		}
		for _, src := range sources {
			entries, err := r.entries(src)
			if err != nil {
				return err
			}
			for _, se := range entries {
				if k := keyOf(se.Key); !seen[k] {
					seen[k] = true
					values = append(values, se)
				}
			}
		}
	}
	m.Values = values
	return nil
}

// entries returns the entries of a merged mapping, given inline or by alias.
func (r *resolver) entries(n ast.Node) ([]*ast.MappingValueNode, error) {
	target := unwrap(n)
	if alias, ok := target.(*ast.AliasNode); ok {
		name := alias.Value.GetToken().Value
		anchored, ok := r.anchors[name]
		if !ok {
			return nil, errorAt(alias.GetToken(), "merge key: alias *%s names no anchor before it", name)
		}
		target = unwrap(anchored)
	}
	switch m := target.(type) {
	case *ast.MappingNode:
		return m.Values, nil
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, nil
	}
	return nil, errorAt(n.GetToken(), "merge key: the value of << must be a mapping or a list of mappings")
}

// unwrap looks through tags and anchors.
func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		default:
			return n
		}
	}
}

// keyOf is a mapping key as text, for comparing keys.
func keyOf(k ast.MapKeyNode) string {
	if sn, ok := k.(*ast.StringNode); ok {
		return sn.Value
	}
	if tk := k.GetToken(); tk != nil {
		return tk.Value
	}
	return fmt.Sprint(k)
}
