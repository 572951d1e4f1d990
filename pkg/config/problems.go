package config

import (
	"fmt"

	"github.com/aviary-cd/aviary/pkg/yamldoc"
)

// Problem is one thing wrong with a config, located by its path in the
// document (services[2].image), when known its line and column, and where a
// step input overrides the setting, that input. It is package yamldoc's, the
// one problem type of every file aviary reads from its users.
type Problem = yamldoc.Problem

// Problems is every problem found in one config file. Parse returns it
// (wrapped as outcome.Invalid) so that a user sees all of them at once.
type Problems = yamldoc.Problems

// problemList collects problems during validation.
type problemList []Problem

func (l *problemList) add(path, format string, args ...any) {
	*l = append(*l, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}
