package config

import "github.com/aviary-cd/aviary/pkg/analysis"

// Analysis is the metric analysis that gates every canary step: the
// canary.analysis section. Its fields, defaults and meaning belong to package
// analysis (see analysis.Spec and docs/analysis.md); the config only carries
// it, validates it with the rest, and closes it with its defaults.
type Analysis = analysis.Spec

// validateAnalysis adds every problem of the analysis section to l, each at
// its path so that it gets a line number.
func validateAnalysis(a Analysis, l *problemList) {
	for _, p := range a.WithDefaults().Problems() {
		l.add(p.Path, "%s", p.Message)
	}
}
