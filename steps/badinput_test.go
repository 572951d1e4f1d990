package steps_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aviary-cd/aviary/pkg/catalog"
)

// TestBadInputCorpus keeps the bad-input corpus whole: a table for every
// step of the catalog, run by the step's own TestBadInput, with cases for
// that step only, and at least 80 cases in all.
func TestBadInputCorpus(t *testing.T) {
	total := 0
	for _, def := range catalog.All() {
		data, err := os.ReadFile(filepath.Join("testdata", "badinput", def.Name+".txtar"))
		if err != nil {
			t.Errorf("step %s has no bad-input table: %v", def.Name, err)
			continue
		}
		n := 0
		for _, line := range strings.Split(string(data), "\n") {
			fields := strings.Fields(line)
			if len(fields) < 3 || fields[0] != "bad" {
				continue
			}
			if fields[1] != def.Name {
				t.Errorf("%s.txtar runs %s: a step's table runs that step only (its test binary has no other)", def.Name, fields[1])
			}
			n++
		}
		if n < 5 {
			t.Errorf("%s.txtar has %d cases, want at least 5", def.Name, n)
		}
		if _, err := os.Stat(filepath.Join(def.Name, "badinput_test.go")); err != nil {
			t.Errorf("steps/%s does not run its table: %v", def.Name, err)
		}
		total += n
	}
	if total < 80 {
		t.Errorf("the corpus has %d cases, want at least 80", total)
	}
	t.Logf("%d bad-input cases", total)
}
