package config

import (
	"fmt"

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
		yamldoc.SortProblems(list)
		return outcome.Invalid(&Problems{File: name, List: list})
	}
	if len(data) > MaxSize {
		return nil, invalid(Problem{Message: fmt.Sprintf("file is %d bytes, more than the %d a config may have", len(data), MaxSize)})
	}
	var cfg Config
	doc, problems := yamldoc.DecodeStrict(data, yamldoc.Limits{Size: MaxSize}, "config", &cfg)
	if doc == nil {
		// A config that did not decode cannot be validated meaningfully.
		return nil, invalid(problems...)
	}
	for _, p := range cfg.Validate() {
		if p.Line == 0 {
			p.Line, p.Column = doc.Locate(p.Path)
		}
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		return nil, invalid(problems...)
	}
	return &cfg, nil
}
