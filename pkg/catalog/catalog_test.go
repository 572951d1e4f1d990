package catalog

import "testing"

// TestEveryStepSaysWhatFailureLeaves: the reference pages and --help say
// truthfully what exit 3 and 130 leave behind, so every step must say it.
func TestEveryStepSaysWhatFailureLeaves(t *testing.T) {
	for _, def := range All() {
		if def.Leaves == "" {
			t.Errorf("step %s has no Leaves: say what exit 3 and 130 may leave behind and what a re-run does", def.Name)
		}
	}
}
