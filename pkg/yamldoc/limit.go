package yamldoc

import (
	"fmt"
	"io"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/scanner"
	"github.com/goccy/go-yaml/token"
)

// Defaults of Limits, far above any real config or policy.
const (
	DefaultSize  = 1 << 20
	DefaultDepth = 64
	DefaultNodes = 20000
)

// Limits bounds a document. Zero fields take the defaults.
type Limits struct {
	// Size is the largest document in bytes.
	Size int
	// Depth is the deepest nesting of collections, aliases expanded.
	Depth int
	// Nodes is the most nodes (scalars, collections, their entries), with
	// every alias and merge key expanded as a decoder expands them.
	Nodes int
}

func (l Limits) withDefaults() Limits {
	if l.Size <= 0 {
		l.Size = DefaultSize
	}
	if l.Depth <= 0 {
		l.Depth = DefaultDepth
	}
	if l.Nodes <= 0 {
		l.Nodes = DefaultNodes
	}
	return l
}

// Error is a document over a limit, at a position.
type Error struct {
	Line, Column int // 1-based; 0 when the whole document is at fault
	Message      string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.Message
	}
	return fmt.Sprintf("line %d:%d: %s", e.Line, e.Column, e.Message)
}

func errorAt(tk *token.Token, format string, args ...any) *Error {
	e := &Error{Message: fmt.Sprintf(format, args...)}
	if tk != nil && tk.Position != nil {
		e.Line, e.Column = tk.Position.Line, tk.Position.Column
	}
	return e
}

// Parse checks data against limits, parses it into go-yaml's syntax tree
// and resolves its merge keys. Decode the returned tree (yaml.NodeToValue),
// not data: go-yaml's own merge-key handling is wrong (see resolveMerges).
// A document over a limit is an *Error; a document that is not YAML is
// go-yaml's own error (a yaml.Error with its token).
func Parse(data []byte, limits Limits) (*ast.File, error) {
	limits = limits.withDefaults()
	if len(data) > limits.Size {
		return nil, &Error{Message: fmt.Sprintf("the document is %d bytes, more than the %d accepted", len(data), limits.Size)}
	}
	tokens, err := tokenize(data, limits)
	if err != nil {
		return nil, err
	}
	file, err := parser.Parse(tokens, 0)
	if err != nil {
		return nil, err
	}
	w := walker{limits: limits, anchors: map[string]*extent{}}
	for _, doc := range file.Docs {
		if _, err := w.walk(doc, 0); err != nil {
			return nil, err
		}
	}
	if err := resolveMerges(file); err != nil {
		return nil, err
	}
	return file, nil
}

// tokenize splits data into tokens as go-yaml's lexer does, checking each
// as it comes (tokenCheck) so that a document over a limit stops early.
func tokenize(data []byte, limits Limits) (token.Tokens, error) {
	var s scanner.Scanner
	s.Init(string(data))
	check := tokenCheck{limits: limits}
	var tokens token.Tokens
	for {
		batch, err := s.Scan()
		if err == io.EOF {
			return tokens, nil
		}
		for _, tk := range batch {
			if err := check.add(tk); err != nil {
				return nil, err
			}
		}
		tokens.Add(batch...)
	}
}

// tokenCheck bounds the nesting depth and the node count on the tokens.
//
// Depth is estimated: open flow collections, plus the block levels, which
// are the distinct columns of the tokens that start a line or follow a "-"
// or "?" indicator on it (a deeper column opens a level, a shallower one
// closes those beyond it). The estimate is within a small factor of the
// true depth, which bounds the parser's work; the walk of the tree then
// checks the true depth. Every token that makes a node is counted.
type tokenCheck struct {
	limits         Limits
	columns        []int // open block levels, increasing
	flow, nodes    int
	line           int
	afterIndicator bool
}

func (c *tokenCheck) add(tk *token.Token) error {
	if tk.Position == nil {
		return nil
	}
	switch tk.Type {
	case token.CommentType:
		return nil
	case token.SequenceStartType, token.MappingStartType:
		c.flow++
	case token.SequenceEndType, token.MappingEndType:
		c.flow = max(c.flow-1, 0)
	default:
		first := tk.Position.Line != c.line
		if c.flow == 0 && (first || c.afterIndicator) {
			col := tk.Position.Column
			for first && len(c.columns) > 0 && c.columns[len(c.columns)-1] > col {
				c.columns = c.columns[:len(c.columns)-1]
			}
			if len(c.columns) == 0 || c.columns[len(c.columns)-1] < col {
				c.columns = append(c.columns, col)
			}
		}
	}
	c.line = tk.Position.Line
	c.afterIndicator = tk.Type == token.SequenceEntryType || tk.Type == token.MappingKeyType
	if depth := len(c.columns) + c.flow; depth > c.limits.Depth {
		return errorAt(tk, "nesting deeper than %d levels", c.limits.Depth)
	}
	if makesNode(tk.Type) {
		if c.nodes++; c.nodes > c.limits.Nodes {
			return errorAt(tk, "more than %d YAML nodes", c.limits.Nodes)
		}
	}
	return nil
}

// makesNode reports whether a token of type t stands for a node of the
// syntax tree: a scalar, an alias, a collection, a sequence entry or a
// mapping value.
func makesNode(t token.Type) bool {
	switch t {
	case token.CommentType, token.SequenceEndType, token.MappingEndType, token.CollectEntryType,
		token.DocumentHeaderType, token.DocumentEndType, token.DirectiveType, token.AnchorType,
		token.TagType, token.SpaceType, token.LiteralType, token.FoldedType, token.MappingKeyType:
		return false
	}
	return true
}

// extent is the expanded size of a subtree.
type extent struct {
	nodes, depth int
	done         bool // false while the anchor's own subtree is walked
}

// walker counts nodes with every alias expanded, as a decoder sees them.
type walker struct {
	limits  Limits
	anchors map[string]*extent
	nodes   int
}

// walk returns the expanded depth of n's subtree and adds its nodes to
// w.nodes, refusing when a limit is passed.
func (w *walker) walk(n ast.Node, depth int) (int, error) {
	if n == nil {
		return 0, nil
	}
	if depth > w.limits.Depth {
		return 0, errorAt(n.GetToken(), "nesting deeper than %d levels", w.limits.Depth)
	}
	switch v := n.(type) {
	case *ast.AliasNode:
		name := v.Value.GetToken().Value
		a, ok := w.anchors[name]
		switch {
		case !ok:
			return w.add(n, 1, depth) // the decoder reports it
		case !a.done:
			return 0, errorAt(n.GetToken(), "alias *%s refers to an anchor that contains it", name)
		}
		if depth+a.depth > w.limits.Depth {
			return 0, errorAt(n.GetToken(), "nesting deeper than %d levels once alias *%s is expanded", w.limits.Depth, name)
		}
		if w.nodes+a.nodes > w.limits.Nodes {
			return 0, errorAt(n.GetToken(), "more than %d YAML nodes once aliases and merge keys are expanded (at alias *%s)", w.limits.Nodes, name)
		}
		w.nodes += a.nodes
		return a.depth, nil
	case *ast.AnchorNode:
		name := v.Name.GetToken().Value
		a := &extent{}
		w.anchors[name] = a
		before := w.nodes
		d, err := w.walk(v.Value, depth)
		if err != nil {
			return 0, err
		}
		a.nodes, a.depth, a.done = w.nodes-before, d, true
		return d, nil
	case *ast.TagNode:
		return w.walk(v.Value, depth)
	case *ast.DocumentNode:
		return w.walk(v.Body, depth)
	case *ast.MappingKeyNode:
		return w.walk(v.Value, depth)
	case *ast.MappingNode:
		deepest := 0
		for _, mv := range v.Values {
			d, err := w.walk(mv, depth+1)
			if err != nil {
				return 0, err
			}
			deepest = max(deepest, d)
		}
		return w.add(n, 1, deepest+1)
	case *ast.MappingValueNode:
		dk, err := w.walk(v.Key, depth)
		if err != nil {
			return 0, err
		}
		dv, err := w.walk(v.Value, depth)
		if err != nil {
			return 0, err
		}
		return max(dk, dv), nil
	case *ast.SequenceNode:
		deepest := 0
		for _, item := range v.Values {
			d, err := w.walk(item, depth+1)
			if err != nil {
				return 0, err
			}
			deepest = max(deepest, d)
		}
		return w.add(n, 1, deepest+1)
	case *ast.CommentGroupNode, *ast.CommentNode:
		return 0, nil
	}
	return w.add(n, 1, 1)
}

func (w *walker) add(n ast.Node, nodes, depth int) (int, error) {
	if w.nodes += nodes; w.nodes > w.limits.Nodes {
		return 0, errorAt(n.GetToken(), "more than %d YAML nodes", w.limits.Nodes)
	}
	return depth, nil
}
