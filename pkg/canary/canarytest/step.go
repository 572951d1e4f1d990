package canarytest

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/pkg/canary"
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

// Deploy runs deploy-canary's operation for rel at weight with the
// admin kubeconfig: a test's setup.
func (f *Fixture) Deploy(t testing.TB, rel Release, weight int) {
	t.Helper()
	f.Setup(t, rel, "deploy-canary", func(ctx context.Context, o *canary.Opened) error {
		_, err := canary.Deploy(ctx, o.Env, o.Plan, canary.DeployOptions{InitialWeight: weight})
		return err
	})
}

// Setup opens rel for step with the cluster's admin kubeconfig and runs fn:
// a test's setup.
func (f *Fixture) Setup(t testing.TB, rel Release, step string, fn func(context.Context, *canary.Opened) error) {
	t.Helper()
	ctx, o, err := canary.Open(context.Background(), canary.Target{Step: step, Plan: rel.Ref, Kubeconfig: f.AdminKubeconfig, Holder: "setup", LockTTL: time.Minute, Timeout: time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close(ctx)
	if err := fn(ctx, o); err != nil {
		t.Fatalf("%s %s: %v", step, rel.Version, err)
	}
}
