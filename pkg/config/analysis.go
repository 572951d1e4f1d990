package config

import (
	"strings"

	"github.com/aviary-cd/aviary/pkg/analysis"
)

// Analysis is the metric analysis that gates every canary step: the
// canary.analysis section. Its fields, defaults and meaning belong to package
// analysis (see analysis.Spec and docs/analysis.md); the config only carries
// it, validates it with the rest, and closes it with its defaults.
type Analysis = analysis.Spec

// validateAnalysis adds every problem of the analysis section to l, each at
// its path so that it gets a line number.
func validateAnalysis(a Analysis, l *problemList, p string) {
	err := a.WithDefaults().Validate()
	if err == nil {
		return
	}
	msg := strings.TrimPrefix(err.Error(), "analysis settings: ")
	for _, line := range strings.Split(msg, "\n") {
		where, what, ok := strings.Cut(line, ": ")
		if !ok || !strings.HasPrefix(where, p) {
			l.add(p, "%s", line)
			continue
		}
		// Messages name the overriding step input too; in the config the
		// path alone is the place.
		where, _, _ = strings.Cut(where, " (input ")
		l.add(where, "%s", what)
	}
}
