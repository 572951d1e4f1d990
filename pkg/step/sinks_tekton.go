package step

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// TektonResultsBudget is the size, in bytes, of the termination message that
// carries every result of a Task's steps to the TaskRun status. Results are
// embedded in it as JSON, so the budget is checked against that encoding.
const TektonResultsBudget = 4096

// tektonReserve is left for the entries Tekton adds to the termination
// message itself (StartedAt and the like).
const tektonReserve = 128

// tektonSink writes one file per result into the results directory.
type tektonSink struct {
	plainConsole
	dir string
}

// tektonMessageSize is the size of the termination-message JSON the results
// take: [{"key":"name","value":"...","type":1},...].
func tektonMessageSize(outs []outputValue) int {
	type result struct {
		Key   string `json:"key"`
		Value string `json:"value"`
		Type  int    `json:"type"`
	}
	rs := make([]result, len(outs))
	for i, o := range outs {
		rs[i] = result{Key: o.name, Value: o.value, Type: 1}
	}
	b, _ := json.Marshal(rs) // strings only: cannot fail
	return len(b)
}

func (t *tektonSink) write(outs []outputValue) error {
	if len(outs) == 0 {
		return nil
	}
	if t.dir == "" {
		return fmt.Errorf("writing Tekton results: %s is not set", Flag(InputResultsDir))
	}
	if size, limit := tektonMessageSize(outs), TektonResultsBudget-tektonReserve; size > limit {
		sizes := ""
		for _, o := range outs {
			sizes += fmt.Sprintf(" %s=%dB", o.name, len(o.value))
		}
		return fmt.Errorf("writing Tekton results: they take %d bytes of the %d-byte termination message budget (%d kept for Tekton), over by %d; sizes:%s",
			size, TektonResultsBudget, tektonReserve, size-limit, sizes)
	}
	if err := os.MkdirAll(t.dir, 0o755); err != nil {
		return fmt.Errorf("writing Tekton results: %w", err)
	}
	for _, o := range outs {
		if err := os.WriteFile(filepath.Join(t.dir, o.name), []byte(o.value), 0o644); err != nil {
			return fmt.Errorf("writing Tekton result %q: %w", o.name, err)
		}
	}
	return nil
}
