package e2eci

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/aviary-cd/aviary/internal/podman"
	"github.com/aviary-cd/aviary/pkg/step"
)

// ci runs one step's image the way a CI system runs it, from the adapter
// the release pins (hack/generate --pin): inputs by name, secrets among
// them; it returns the step's outputs as the CI system sees them.
type ci interface {
	name() string
	// kubeconfig is the kubeconfig input for this system ("" for
	// in-cluster).
	kubeconfig(t *testing.T, a *app) string
	run(t *testing.T, a *app, stepName string, inputs map[string]string) stepRun
}

type stepRun struct {
	step    string
	exit    int
	outputs map[string]string
	stderr  string
	took    time.Duration
}

// must runs a step that has to succeed.
func must(t *testing.T, c ci, a *app, stepName string, inputs map[string]string) stepRun {
	t.Helper()
	r := c.run(t, a, stepName, inputs)
	if r.exit != 0 {
		t.Fatalf("%s %s: exit %d\n%s", c.name(), stepName, r.exit, r.stderr)
	}
	t.Logf("%s %s: exit 0 in %s, outputs %v", c.name(), stepName, r.took.Round(10*time.Millisecond), r.outputs)
	return r
}

// pipeline runs the steps of a release with one CI system.
type pipeline struct {
	t                       *testing.T
	c                       ci
	a                       *app
	kube, priv, pub, holder string
}

func newPipeline(t *testing.T, c ci, a *app) *pipeline {
	return &pipeline{t: t, c: c, a: a, kube: c.kubeconfig(t, a), priv: readFile(t, a.f.key.Private),
		pub: readFile(t, a.f.key.Public), holder: "e2e-" + c.name()}
}

// release commits a change, opens the release, pushes the services'
// images (the application's own build) and bundles the signed plan.
func (p *pipeline) release(message string) (version, plan string) {
	t, c, a := p.t, p.c, p.a
	t.Helper()
	a.commit(t, message)
	open := must(t, c, a, "open-release", map[string]string{"repo-path": "."})
	version = open.outputs["version"]
	if version == "" {
		t.Fatalf("open-release: no version output")
	}
	a.pushImages(t, version)
	bundle := must(t, c, a, "bundle-plan", map[string]string{
		"repo-path": ".", "repository": a.planRepo(), "version": version,
		"sign-key": p.priv, "sign-key-password": a.f.key.Password,
	})
	plan = bundle.outputs["plan-ref"]
	if !strings.Contains(plan, "@sha256:") {
		t.Fatalf("bundle-plan: plan-ref %q is not by digest", plan)
	}
	return version, plan
}

// cluster are the inputs of a step on the cluster, with more name/value
// pairs.
func (p *pipeline) cluster(plan string, more ...string) map[string]string {
	in := map[string]string{"plan": plan, "kubeconfig": p.kube, "holder": p.holder}
	for i := 0; i+1 < len(more); i += 2 {
		in[more[i]] = more[i+1]
	}
	return in
}

// first is the app's first release: verified, deployed straight to
// stable. It returns the version.
func (p *pipeline) first() string {
	t, c, a := p.t, p.c, p.a
	t.Helper()
	version, plan := p.release("feat: the shop")
	must(t, c, a, "verify-artifacts", map[string]string{"plan": plan, "key": p.pub})
	first := must(t, c, a, "deploy-canary", p.cluster(plan))
	if first.outputs["first-release"] == "" {
		t.Errorf("deploy-canary of the first release: first-release output empty, outputs %v", first.outputs)
	}
	return version
}

// releasePipeline walks a's sample app through three releases with every
// step run by c: a first release (straight to stable); a canary shifted and
// promoted; a canary rolled back.
func releasePipeline(t *testing.T, c ci, a *app) {
	start := time.Now()
	p := newPipeline(t, c, a)
	p.first()

	_, plan := p.release("feat: gift cards")
	must(t, c, a, "verify-artifacts", map[string]string{"plan": plan, "key": p.pub})
	dep := must(t, c, a, "deploy-canary", p.cluster(plan))
	if got := dep.outputs["changed"]; got == "" {
		t.Errorf("deploy-canary: changed output empty, want the services; outputs %v", dep.outputs)
	}
	shift := must(t, c, a, "shift-weight", p.cluster(plan, "steps", "10,50", "pause", "1s"))
	if shift.outputs["weight"] != "50" {
		t.Errorf("shift-weight: weight output %q, want 50", shift.outputs["weight"])
	}
	must(t, c, a, "promote", p.cluster(plan))

	_, plan = p.release("fix: retry card authorisation")
	must(t, c, a, "deploy-canary", p.cluster(plan))
	must(t, c, a, "rollback", p.cluster(plan))
	t.Logf("%s: three releases in %s", c.name(), time.Since(start).Round(100*time.Millisecond))
	a.f.timed(c.name()+" contract: three releases", start)
}

// TestContracts runs the release pipeline with every step's image as each
// CI system runs it.
func TestContracts(t *testing.T) {
	f := get(t)
	for _, c := range []ci{&githubCI{f: f}, &tektonCI{f: f}, &gitlabCI{f: f}} {
		t.Run(c.name(), func(t *testing.T) {
			a := f.newApp(t, "shop-"+c.name())
			releasePipeline(t, c, a)
		})
	}
}

// TestGitHubWorkspacePermission: the nonroot image cannot write a
// workspace that belongs to another user — GitHub's case, which is why
// the action uses the root image — and says so as a setup error (exit 2).
func TestGitHubWorkspacePermission(t *testing.T) {
	f := get(t)
	a := f.newApp(t, "shop-perm")
	a.commit(t, "feat: the shop")
	a.chown(t, 1001, 1001, 0o755) // the runner's user, as on GitHub
	c := &githubCI{f: f, user: "65532:65532"}
	r := c.run(t, a, "open-release", map[string]string{"repo-path": "."})
	if r.exit != step.ExitInvalid {
		t.Fatalf("open-release as 65532 on a workspace of uid 1001: exit %d, want %d\n%s", r.exit, step.ExitInvalid, r.stderr)
	}
	// The step checks where it writes before it acts: GitHub's
	// file_commands belong to the runner's user too.
	for _, want := range []string{"cannot write its GITHUB_OUTPUT", "root"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("open-release's error does not say %q:\n%s", want, r.stderr)
		}
	}
	// The image the action uses runs as root and succeeds.
	r = (&githubCI{f: f}).run(t, a, "open-release", map[string]string{"repo-path": "."})
	if r.exit != 0 {
		t.Fatalf("open-release with the action's image: exit %d\n%s", r.exit, r.stderr)
	}
}

// ---- GitHub: a Docker container action ----

type githubCI struct {
	f    *fixture
	user string // overrides the image's user (the permission test)
	n    int
}

func (*githubCI) name() string { return "github" }

func (*githubCI) kubeconfig(t *testing.T, a *app) string { return a.kubeconfig(t) }

type actionYAML struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string `yaml:"using"`
		Image string `yaml:"image"`
	} `yaml:"runs"`
}

// run runs the action as GitHub's runner runs a Docker action: the image's
// entrypoint, every input as INPUT_<NAME> (its default when not given), the
// workspace at /github/workspace, the file-command files in a mounted
// /github/file_commands.
func (g *githubCI) run(t *testing.T, a *app, stepName string, inputs map[string]string) stepRun {
	t.Helper()
	var action actionYAML
	readYAML(t, filepath.Join(g.f.pinned, "actions", stepName, "action.yml"), &action)
	image := g.f.pull(t, strings.TrimPrefix(action.Runs.Image, "docker://"))
	g.n++
	dir := t.TempDir()
	files, home := filepath.Join(dir, "file_commands"), filepath.Join(dir, "home")
	for _, d := range []string{files, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	id := fmt.Sprintf("%d", g.n)
	outFile, summary := "set_output_"+id, "step_summary_"+id
	for _, p := range []string{outFile, summary} {
		if err := os.WriteFile(filepath.Join(files, p), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{
		"CI": "true", "GITHUB_ACTIONS": "true", "HOME": "/github/home",
		"GITHUB_WORKSPACE": "/github/workspace", "GITHUB_OUTPUT": "/github/file_commands/" + outFile,
		"GITHUB_STEP_SUMMARY": "/github/file_commands/" + summary,
		"GITHUB_REPOSITORY":   "aviary-e2e/" + a.product, "GITHUB_RUN_ID": "1000" + id, "GITHUB_RUN_ATTEMPT": "1",
		"GITHUB_WORKFLOW": "release", "GITHUB_JOB": "release", "GITHUB_ACTION": stepName, "RUNNER_OS": "Linux",
	}
	for name, in := range action.Inputs {
		env["INPUT_"+strings.ToUpper(name)] = in.Default
	}
	for k, v := range inputs {
		if _, ok := action.Inputs[k]; !ok {
			t.Fatalf("%s: action.yml has no input %q", stepName, k)
		}
		env["INPUT_"+strings.ToUpper(k)] = v
	}
	res := g.f.run(t, podman.Run{
		Image: image, User: g.user, Env: env, Workdir: "/github/workspace",
		Mounts: []podman.Mount{
			{Source: a.dir, Target: "/github/workspace"},
			{Source: files, Target: "/github/file_commands"},
			{Source: home, Target: "/github/home"},
		},
	})
	return stepRun{step: stepName, exit: res.Exit, stderr: res.Stderr, took: res.Took,
		outputs: parseGitHubOutput(t, filepath.Join(files, outFile))}
}

// parseGitHubOutput reads a GITHUB_OUTPUT file: name=value lines and
// name<<DELIMITER blocks.
func parseGitHubOutput(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	s := bufio.NewScanner(strings.NewReader(readFile(t, path)))
	for s.Scan() {
		line := s.Text()
		if k, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(k, "=") {
			var val []string
			for s.Scan() && s.Text() != delim {
				val = append(val, s.Text())
			}
			out[k] = strings.Join(val, "\n")
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

// ---- Tekton: a Task's step ----

type tektonCI struct{ f *fixture }

func (*tektonCI) name() string { return "tekton" }

// kubeconfig is empty: the step uses the pod's service account.
func (*tektonCI) kubeconfig(*testing.T, *app) string { return "" }

type taskYAML struct {
	Spec struct {
		Params []struct {
			Name    string  `yaml:"name"`
			Default *string `yaml:"default"`
		} `yaml:"params"`
		Results []struct {
			Name string `yaml:"name"`
		} `yaml:"results"`
		Workspaces []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		} `yaml:"workspaces"`
		Steps []struct {
			Name       string   `yaml:"name"`
			Image      string   `yaml:"image"`
			Command    []string `yaml:"command"`
			Args       []string `yaml:"args"`
			WorkingDir string   `yaml:"workingDir"`
			Env        []struct {
				Name      string `yaml:"name"`
				ValueFrom struct {
					SecretKeyRef struct {
						Key string `yaml:"key"`
					} `yaml:"secretKeyRef"`
				} `yaml:"valueFrom"`
			} `yaml:"env"`
			SecurityContext struct {
				RunAsUser  *int `yaml:"runAsUser"`
				RunAsGroup *int `yaml:"runAsGroup"`
			} `yaml:"securityContext"`
		} `yaml:"steps"`
	} `yaml:"spec"`
}

var tektonRef = regexp.MustCompile(`\$\((params|workspaces)\.([a-z0-9-]+)(\.path)?\)`)

// run runs the Task's step as Tekton does: the command overridden to
// /<step>, $(params.*) substituted, the results directory and workspace
// mounted, secrets as environment variables, the user of the step's
// securityContext, in-cluster Kubernetes credentials from a mounted
// service-account token. The workspace belongs to the step's user
// (fsGroup).
func (c *tektonCI) run(t *testing.T, a *app, stepName string, inputs map[string]string) stepRun {
	t.Helper()
	return c.runTask(t, a, filepath.Join(c.f.pinned, "tekton", stepName, "task.yaml"), inputs, inputs)
}

// runTask runs a Task with params; secrets holds the Secret's keys.
func (c *tektonCI) runTask(t *testing.T, a *app, path string, params, secrets map[string]string) stepRun {
	t.Helper()
	var task taskYAML
	readYAML(t, path, &task)
	if len(task.Spec.Steps) != 1 {
		t.Fatalf("%s: %d steps, want 1", path, len(task.Spec.Steps))
	}
	st := task.Spec.Steps[0]
	vals := map[string]string{}
	for _, p := range task.Spec.Params {
		if p.Default != nil {
			vals[p.Name] = *p.Default
		}
	}
	for k, v := range params {
		if slices.ContainsFunc(task.Spec.Params, func(p struct {
			Name    string  `yaml:"name"`
			Default *string `yaml:"default"`
		}) bool {
			return p.Name == k
		}) {
			vals[k] = v
		}
	}
	mounts := map[string]string{}
	for _, w := range task.Spec.Workspaces {
		mp := w.MountPath
		if mp == "" {
			mp = "/workspace/" + w.Name
		}
		mounts[w.Name] = mp
	}
	subst := func(s string) string {
		return tektonRef.ReplaceAllStringFunc(s, func(m string) string {
			g := tektonRef.FindStringSubmatch(m)
			if g[1] == "workspaces" {
				return mounts[g[2]]
			}
			v, ok := vals[g[2]]
			if !ok {
				t.Fatalf("%s: no value for %s", path, m)
			}
			return v
		})
	}
	var args []string
	for _, arg := range st.Args {
		args = append(args, subst(arg))
	}
	dir := t.TempDir()
	results, home := filepath.Join(dir, "results"), filepath.Join(dir, "home")
	sa := filepath.Join(dir, "serviceaccount")
	for _, d := range []string{results, home, sa} {
		if err := os.MkdirAll(d, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	server := c.f.writeServiceAccount(t, sa, a.namespace)
	host, port, _ := strings.Cut(strings.TrimPrefix(server, "https://"), ":")
	env := map[string]string{"HOME": "/tekton/home", "KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}
	for _, e := range st.Env {
		if v, ok := secrets[e.ValueFrom.SecretKeyRef.Key]; ok {
			env[e.Name] = v
		}
	}
	user := ""
	if sc := st.SecurityContext; sc.RunAsUser != nil {
		user = fmt.Sprint(*sc.RunAsUser)
		if sc.RunAsGroup != nil {
			user += fmt.Sprintf(":%d", *sc.RunAsGroup)
		}
	}
	mountList := []podman.Mount{
		{Source: results, Target: "/tekton/results"},
		{Source: home, Target: "/tekton/home"},
		{Source: sa, Target: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true},
	}
	for name, mp := range mounts {
		if name == "source" {
			a.chown(t, 65532, 65532, 0)
			mountList = append(mountList, podman.Mount{Source: a.dir, Target: mp})
		}
	}
	workdir := subst(st.WorkingDir) // empty: the image's
	res := c.f.run(t, podman.Run{
		Image: c.f.pull(t, st.Image), User: user, Entrypoint: st.Command, Args: args, Env: env,
		Mounts: mountList, Workdir: workdir,
	})
	outs := map[string]string{}
	for _, r := range task.Spec.Results {
		if b, err := os.ReadFile(filepath.Join(results, r.Name)); err == nil {
			outs[r.Name] = string(b)
		}
	}
	return stepRun{step: st.Name, exit: res.Exit, stderr: res.Stderr, took: res.Took, outputs: outs}
}

// ---- GitLab: a CI/CD component's job ----

type gitlabCI struct {
	f *fixture
	n int
}

func (*gitlabCI) name() string { return "gitlab" }

func (*gitlabCI) kubeconfig(t *testing.T, a *app) string { return a.kubeconfig(t) }

type componentSpec struct {
	Spec struct {
		Inputs map[string]struct {
			Default any `yaml:"default"`
		} `yaml:"inputs"`
	} `yaml:"spec"`
}

type gitlabJob struct {
	Image struct {
		Name       string   `yaml:"name"`
		Entrypoint []string `yaml:"entrypoint"`
	} `yaml:"image"`
	Variables map[string]string `yaml:"variables"`
	Script    []string          `yaml:"script"`
	Artifacts struct {
		Reports struct {
			Dotenv string `yaml:"dotenv"`
		} `yaml:"reports"`
	} `yaml:"artifacts"`
}

var gitlabInput = regexp.MustCompile(`\$\[\[ *inputs\.([a-z0-9-]+) *\]\]`)

// run runs the component's job as GitLab's Docker executor does: the
// component's image (the debug variant) with its entrypoint cleared, the
// job's variables with the inputs interpolated, the script run by the
// image's shell in the project directory, which GitLab's checkout (umask
// 0000) leaves writable for every user. Secret inputs are masked CI/CD
// variables named AVIARY_<NAME>. The outputs are the dotenv report.
func (g *gitlabCI) run(t *testing.T, a *app, stepName string, inputs map[string]string) stepRun {
	t.Helper()
	path := filepath.Join(g.f.pinned, "templates", stepName+".yml")
	docs := strings.SplitN(readFile(t, path), "\n---\n", 2)
	if len(docs) != 2 {
		t.Fatalf("%s: want a spec and a job", path)
	}
	var spec componentSpec
	if err := yaml.Unmarshal([]byte(docs[0]), &spec); err != nil {
		t.Fatal(err)
	}
	var jobs map[string]gitlabJob
	if err := yaml.Unmarshal([]byte(docs[1]), &jobs); err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 {
		t.Fatalf("%s: %d jobs, want 1", path, len(jobs))
	}
	var job gitlabJob
	for _, j := range jobs {
		job = j
	}
	vals := map[string]string{}
	for k, in := range spec.Spec.Inputs {
		if in.Default != nil {
			vals[k] = fmt.Sprint(in.Default)
		}
	}
	env := map[string]string{}
	for k, v := range inputs {
		if _, ok := spec.Spec.Inputs[k]; ok {
			vals[k] = v
		} else {
			env[step.Env(k)] = v // a secret: a masked CI/CD variable
		}
	}
	for k, v := range job.Variables {
		env[k] = gitlabInput.ReplaceAllStringFunc(v, func(m string) string {
			return vals[gitlabInput.FindStringSubmatch(m)[1]]
		})
	}
	g.n++
	project := "/builds/aviary-e2e/" + a.product
	for k, v := range map[string]string{
		"CI": "true", "GITLAB_CI": "true", "CI_PROJECT_DIR": project, "CI_JOB_ID": fmt.Sprint(2000 + g.n),
		"CI_PIPELINE_ID": "3000", "CI_JOB_NAME": "aviary-" + stepName, "CI_PROJECT_PATH": "aviary-e2e/" + a.product,
	} {
		env[k] = v
	}
	a.chown(t, 0, 0, 0o666)
	dotenv := filepath.Join(a.dir, job.Artifacts.Reports.Dotenv)
	_ = os.Remove(dotenv)
	res := g.f.run(t, podman.Run{
		Image: g.f.pull(t, job.Image.Name), Entrypoint: job.Image.Entrypoint, Env: env, Workdir: project,
		Args:   []string{"sh", "-c", "set -e\n" + strings.Join(job.Script, "\n")},
		Mounts: []podman.Mount{{Source: a.dir, Target: project}},
	})
	outs := map[string]string{}
	if data, err := os.ReadFile(dotenv); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				outs[strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(k, "AVIARY_"), "_", "-"))] = v
			}
		}
	}
	return stepRun{step: stepName, exit: res.Exit, stderr: res.Stderr, took: res.Took, outputs: outs}
}

// ---- shared ----

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(readFile(t, path)), v); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
}

// run runs a container, logging its stderr on failure.
func (f *fixture) run(t *testing.T, r podman.Run) podman.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := f.podman.Run(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func yamlUnmarshal(s string, v any) error { return yaml.Unmarshal([]byte(s), v) }
