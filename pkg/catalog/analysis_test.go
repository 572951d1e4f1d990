package catalog_test

import (
	"slices"
	"testing"

	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
)

// TestInputsFitTheSteps checks that the analysis inputs can be appended to
// the shift-weight and promote definitions: no clash with their own inputs
// or the common ones.
func TestInputsFitTheSteps(t *testing.T) {
	mine := func(in step.Input) bool {
		return slices.ContainsFunc(catalog.AnalysisInputs, func(a step.Input) bool { return a.Name == in.Name && a.Description == in.Description })
	}
	for _, def := range []step.Definition{catalog.ShiftWeight, catalog.Promote} {
		def.Inputs = append(slices.DeleteFunc(slices.Clone(def.Inputs), mine), catalog.AnalysisInputs...)
		if err := def.Validate(); err != nil {
			t.Errorf("%s with the analysis inputs: %v", def.Name, err)
		}
	}
	for _, in := range catalog.AnalysisInputs {
		if in.Default != "" {
			t.Errorf("input %s has default %q; analysis inputs must default to empty so that the config's value applies", in.Name, in.Default)
		}
	}
}
