package canarytest

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/aviary-cd/aviary/pkg/step"
)

// Ran is what a step run in-process left behind.
type Ran struct {
	Code    int
	Outputs map[string]string
	Stderr  string
}

// RunStep runs a step's run function in-process, as its binary would, with
// the local CI adapter (outputs as JSON on stdout) and no environment but
// env.
func RunStep(t testing.TB, def step.Definition, run step.RunFunc, env []string, args ...string) Ran {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := step.Run(context.Background(), def, append([]string{"--ci=local"}, args...), env, &stdout, &stderr, run)
	r := Ran{Code: code, Stderr: stderr.String(), Outputs: map[string]string{}}
	if stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), &r.Outputs); err != nil {
			t.Fatalf("%s printed outputs that are not JSON: %v\n%s", def.Name, err, stdout.String())
		}
	}
	t.Logf("%s %v → exit %d\n%s", def.Name, args, code, r.Stderr)
	return r
}
