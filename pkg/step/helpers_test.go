package step

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// testDef is the definition most tests run.
var testDef = Definition{
	Name:        "test-step",
	Description: "A step for tests.",
	Inputs: []Input{
		{Name: "plan", Description: "Plan reference.", Required: true},
		{Name: "weight", Description: "Weight.", Type: Int, Default: "5"},
		{Name: "pause", Description: "Pause.", Type: Duration, Default: "30s"},
		{Name: "push", Description: "Push.", Type: Bool, Default: "false"},
		{Name: "steps", Description: "Steps.", Type: List},
		{Name: "plan-ref", Description: "A hyphenated input."},
		{Name: "token", Description: "A secret.", Secret: true},
	},
	Outputs: []Output{
		{Name: "plan-ref", Description: "Plan by digest."},
		{Name: "weight", Description: "Weight."},
	},
}

type result struct {
	code           int
	stdout, stderr string
}

// runStep runs def with args and env, calling body as the step's run.
func runStep(t *testing.T, def Definition, args, env []string, body RunFunc) result {
	t.Helper()
	return runStepCtx(t, context.Background(), def, args, env, body)
}

func runStepCtx(t *testing.T, ctx context.Context, def Definition, args, env []string, body RunFunc) result {
	t.Helper()
	if body == nil {
		body = func(context.Context, *Session) error { return nil }
	}
	var stdout, stderr bytes.Buffer
	code := Run(ctx, def, args, env, &stdout, &stderr, body)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// parseGitHubOutput reads a GITHUB_OUTPUT file the way the runner does:
// name=value lines and name<<DELIM blocks.
func parseGitHubOutput(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading GITHUB_OUTPUT: %v", err)
	}
	outs := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			closed := false
			for sc.Scan() {
				if sc.Text() == delim {
					closed = true
					break
				}
				val = append(val, sc.Text())
			}
			if !closed {
				t.Fatalf("GITHUB_OUTPUT: block %q is not closed by %q", name, delim)
			}
			outs[name] = strings.Join(val, "\n")
			continue
		}
		name, val, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("GITHUB_OUTPUT: malformed line %q", line)
		}
		outs[name] = val
	}
	return outs
}
