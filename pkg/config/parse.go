package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"

	"github.com/goccy/go-yaml"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/yamldoc"
)

// MaxSize is the largest config accepted, far above any real one.
const MaxSize = 1 << 20

// Parse reads a release config strictly and validates it. name is how the
// user knows the file (aviary.yaml) and prefixes every message.
//
// Every problem is reported at once: unknown fields and duplicate keys with
// their line and column, then every validation problem with its path (and
// line, when the path is in the file). The error is outcome.Invalid holding a
// *Problems. The returned config has no defaults applied; see Close.
func Parse(name string, data []byte) (*Config, error) {
	invalid := func(list ...Problem) error {
		sortProblems(list)
		return outcome.Invalid(&Problems{File: name, List: list})
	}
	if len(data) > MaxSize {
		return nil, invalid(Problem{Message: fmt.Sprintf("file is %d bytes, more than the %d a config may have", len(data), MaxSize)})
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, invalid(Problem{Message: "file is empty"})
	}
	// Bounded before go-yaml builds or decodes anything: depth, nodes and
	// alias expansion (package yamldoc).
	file, err := yamldoc.Parse(data, yamldoc.Limits{Size: MaxSize})
	if err != nil {
		return nil, invalid(yamlProblem(err))
	}
	if len(file.Docs) != 1 {
		return nil, invalid(Problem{Message: fmt.Sprintf("holds %d YAML documents; a config is one document", len(file.Docs))})
	}
	if file.Docs[0].Body == nil {
		return nil, invalid(Problem{Message: "the document is empty"})
	}

	sh := newShape()
	sh.walk(file.Docs[0], reflect.TypeFor[Config](), "")

	var cfg Config
	opts := []yaml.DecodeOption{}
	if len(sh.problems) == 0 {
		// The shape walk found no unknown field; let the decoder check too.
		opts = append(opts, yaml.DisallowUnknownField())
	}
	problems := sh.problems
	// The tree, not data: yamldoc resolved its merge keys.
	if err := yaml.NodeToValue(file.Docs[0].Body, &cfg, opts...); err != nil {
		p := yamlProblem(err)
		if !sameLine(problems, p) {
			problems = append(problems, p)
		}
		// A config that did not decode cannot be validated meaningfully.
		return nil, invalid(problems...)
	}
	for _, p := range cfg.Validate() {
		if p.Line == 0 {
			p.Line, p.Column = sh.locate(p.Path)
		}
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		return nil, invalid(problems...)
	}
	return &cfg, nil
}

// locate finds the position of path, or of its nearest ancestor in the file.
func (s *shape) locate(path string) (line, column int) {
	for path != "" {
		if p, ok := s.positions[path]; ok {
			return p.line, p.column
		}
		path = parent(path)
	}
	return 0, 0
}

// parent drops the last element of a path: a.b[2].c → a.b[2] → a.b → a.
func parent(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		switch path[i] {
		case '.':
			return path[:i]
		case '[':
			return path[:i]
		}
	}
	return ""
}

func sameLine(list []Problem, p Problem) bool {
	for _, q := range list {
		if q.Line == p.Line && q.Line != 0 {
			return true
		}
	}
	return false
}

// yamlProblem turns a go-yaml or yamldoc error into a problem with its
// position.
func yamlProblem(err error) Problem {
	var le *yamldoc.Error
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
