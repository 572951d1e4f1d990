package e2eci

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
)

type pipelineYAML struct {
	Spec struct {
		Tasks   []pipelineTask `yaml:"tasks"`
		Finally []pipelineTask `yaml:"finally"`
	} `yaml:"spec"`
}

type pipelineTask struct {
	Name     string   `yaml:"name"`
	RunAfter []string `yaml:"runAfter"`
	TaskRef  struct {
		Name string `yaml:"name"`
	} `yaml:"taskRef"`
	Params []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"params"`
}

var pipelineRef = regexp.MustCompile(`\$\((params\.([a-z0-9-]+)|tasks\.([a-z0-9-]+)\.results\.([a-z0-9-]+))\)`)

// TestTektonRunsTektonExample runs examples/tekton/pipeline.yaml the way
// Tekton would, without a Tekton controller: each pipeline task's Task
// (tekton/<step>/task.yaml as the release pins it) with its params and the
// results of earlier tasks substituted, its step run in podman under
// Tekton's contract (see tektonCI). The app's first release is made
// beforehand through the same contract, so that the pipeline releases a
// canary, shifts it and promotes it. The finally task (rollback) runs only
// when a task failed, as its when expression says. Reduced for time:
// shift-weight pauses 1s instead of the default 30s.
func TestTektonRunsTektonExample(t *testing.T) {
	f := get(t)
	a := f.newApp(t, "shop-tkp")
	c := &tektonCI{f: f}
	first := newPipeline(t, c, a).first()
	v, err := semver.NewVersion(first)
	if err != nil {
		t.Fatal(err)
	}
	next := v.IncMinor().String()
	a.commit(t, "feat: gift cards")
	a.pushImages(t, next)

	var p pipelineYAML
	readYAML(t, filepath.Join(f.root, "examples", "tekton", "pipeline.yaml"), &p)
	params := map[string]string{"repository": a.planRepo(), "version": next, "cosign-public-key": readFile(t, f.key.Public)}
	secrets := map[string]string{"sign-key": readFile(t, f.key.Private), "sign-key-password": f.key.Password}
	results := map[string]map[string]string{}
	start := time.Now()
	failed := false
	run := func(pt pipelineTask) {
		for _, after := range pt.RunAfter {
			if _, ok := results[after]; !ok {
				t.Fatalf("task %s runs after %s, which has not run", pt.Name, after)
			}
		}
		in := map[string]string{}
		for _, prm := range pt.Params {
			in[prm.Name] = pipelineRef.ReplaceAllStringFunc(prm.Value, func(m string) string {
				g := pipelineRef.FindStringSubmatch(m)
				if g[2] != "" {
					return params[g[2]]
				}
				r, ok := results[g[3]][g[4]]
				if !ok {
					t.Fatalf("task %s: no result %s of task %s", pt.Name, g[4], g[3])
				}
				return strings.TrimSpace(r)
			})
		}
		stepName := strings.TrimPrefix(pt.TaskRef.Name, "aviary-")
		if stepName == "shift-weight" {
			// Reduced for time: the Task's default pause is 30s between
			// steps (it overrides the release config's canary.pause).
			in["pause"] = "1s"
		}
		r := c.runTask(t, a, filepath.Join(f.pinned, "tekton", stepName, "task.yaml"), in, secrets)
		t.Logf("task %s (%s): exit %d in %s, results %v", pt.Name, pt.TaskRef.Name, r.exit, r.took.Round(10*time.Millisecond), r.outputs)
		if r.exit != 0 {
			failed = true
			t.Errorf("task %s: exit %d\n%s", pt.Name, r.exit, r.stderr)
		}
		results[pt.Name] = r.outputs
	}
	for _, pt := range p.Spec.Tasks {
		if failed {
			break
		}
		run(pt)
	}
	for _, pt := range p.Spec.Finally {
		if failed { // when: $(tasks.status) in [Failed]
			run(pt)
		}
	}
	f.timed("tekton: examples/tekton (5 tasks)", start)
	if _, ok := results["promote"]; !ok && !failed {
		t.Errorf("the pipeline ended without promoting")
	}
}
