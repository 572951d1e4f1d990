package e2eci

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// componentRef is the ref the test serves aviary's components at: the
// example's @1 is a version range, which gitlab-ci-local resolves with git
// ls-remote on the server; a fixed ref is read from its include cache.
const componentRef = "e2e"

// TestGitLabCILocalRunsGitLabExample runs examples/gitlab/.gitlab-ci.yml
// with gitlab-ci-local: every job the components define, in podman, in the
// component's image (the locally built -debug image, pinned by digest as
// the release pins templates/), outputs passed between jobs as dotenv
// reports. The app's first release is made beforehand through the same job
// contract, so that the pipeline releases a canary, shifts it and promotes
// it.
//
// Adapted for an offline run: the components' @1 becomes a fixed ref served
// from gitlab-ci-local's include cache, the plan repository
// ($CI_REGISTRY_IMAGE/plans) is the local registry.
func TestGitLabCILocalRunsGitLabExample(t *testing.T) {
	f := get(t)
	gcl, err := exec.LookPath("gitlab-ci-local")
	if err != nil {
		t.Fatalf("gitlab-ci-local (npm install -g gitlab-ci-local@4.62.0; needs rsync): %v", err)
	}
	if _, err := exec.LookPath("rsync"); err != nil {
		t.Fatalf("gitlab-ci-local needs rsync (Debian: apt-get install rsync): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()

	a := f.newApp(t, "shop-gcl")
	first := newPipeline(t, &gitlabCI{f: f}, a).first()
	v, err := semver.NewVersion(first)
	if err != nil {
		t.Fatal(err)
	}
	next := v.IncMinor().String()

	ci := strings.ReplaceAll(readFile(t, filepath.Join(f.root, "examples", "gitlab", ".gitlab-ci.yml")), "@1\n", "@"+componentRef+"\n")
	if err := os.WriteFile(filepath.Join(a.dir, ".gitlab-ci.yml"), []byte(ci), 0o644); err != nil {
		t.Fatal(err)
	}
	exclude := filepath.Join(a.dir, ".git", "info", "exclude")
	if err := os.WriteFile(exclude, []byte(readFile(t, exclude)+".gitlab-ci-local/\n.gitlab-ci-local-variables.yml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a.commit(t, "feat: gift cards")
	a.pushImages(t, next)
	// gitlab-ci-local copies only the tracked files into the job, so
	// open-release's remote is a bare repository mounted into the job
	// (owned by the job's user, 65532).
	origin := filepath.Join(t.TempDir(), "origin.git")
	a.bareOriginAt(t, origin, "/aviary-origin.git")
	if err := chownTree(origin, 65532, 65532); err != nil {
		t.Fatal(err)
	}
	// gitlab-ci-local reads the server and project from gcl-origin.
	if _, err := a.repo.CreateRemote(&gitconfig.RemoteConfig{Name: "gcl-origin", URLs: []string{"https://gitlab.example/aviary-e2e/shop-gcl.git"}}); err != nil {
		t.Fatal(err)
	}
	includes := filepath.Join(a.dir, ".gitlab-ci-local", "includes", "gitlab.example", "aviary-cd", "aviary", componentRef, "templates")
	if err := os.MkdirAll(includes, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{"open-release", "bundle-plan", "verify-artifacts", "deploy-canary", "shift-weight", "promote"} {
		data := readFile(t, filepath.Join(f.pinned, "templates", st+".yml"))
		if err := os.WriteFile(filepath.Join(includes, st+".yml"), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		var spec struct {
			Image struct {
				Name string `yaml:"name"`
			} `yaml:"image"`
		}
		job := strings.SplitN(data, "\n---\n", 2)[1]
		var jobs map[string]struct {
			Image struct {
				Name string `yaml:"name"`
			} `yaml:"image"`
		}
		if err := yamlUnmarshal(job, &jobs); err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			spec.Image = j.Image
		}
		f.pull(t, spec.Image.Name)
	}
	// CI/CD variables: the secrets as masked variables, the kubeconfig as a
	// file variable, the public key as text.
	vars := "KUBECONFIG:\n  type: file\n  values:\n    '*': |\n" + indent(readFile(t, f.env.Clusters[0].Kubeconfig), "      ") +
		"COSIGN_PUBLIC_KEY: |\n" + indent(readFile(t, f.key.Public), "  ") +
		"AVIARY_SIGN_KEY: |\n" + indent(readFile(t, f.key.Private), "  ") +
		"AVIARY_SIGN_KEY_PASSWORD: " + f.key.Password + "\n" +
		"AVIARY_TOKEN: e2e-token\nAVIARY_REGISTRY_PASSWORD: e2e-password\n" +
		"CI_REGISTRY_IMAGE: " + f.env.Registry.Host + "/aviary-e2e/shop-gcl\nCI_REGISTRY_USER: e2e\n"
	if err := os.WriteFile(filepath.Join(a.dir, ".gitlab-ci-local-variables.yml"), []byte(vars), 0o600); err != nil {
		t.Fatal(err)
	}

	// gitlab-ci-local copies the project into a volume and artifacts out
	// with a helper image (docker.io/firecow/gitlab-ci-local-util by
	// default, which cannot be pulled here): the runner image has what it
	// runs (sh, chown, chmod, bash). --no-umask runs each job as its
	// image's user (65532), as GitLab's Docker executor does, instead of
	// root.
	helper := f.loadRunnerImage(t)
	cmd := exec.CommandContext(ctx, gcl, "--container-executable", "podman", "--network", "host",
		"--pull-policy", "if-not-present", "--helper-image", helper, "--no-umask", "--no-color", "--volume", origin+":/aviary-origin.git")
	cmd.Dir = a.dir
	cmd.Env = append(f.podman.Env, "HOME="+t.TempDir())
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	f.timed("gitlab-ci-local: examples/gitlab (6 jobs)", start)
	if err != nil {
		t.Fatalf("gitlab-ci-local: %v after %s\n%s", err, took.Round(time.Second), out)
	}
	t.Logf("gitlab-ci-local ran examples/gitlab/.gitlab-ci.yml in %s\n%s", took.Round(100*time.Millisecond), tail(string(out), 40))
	bare, err := git.PlainOpen(origin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.Reference(plumbing.NewBranchReferenceName("release/"+next), true); err != nil {
		t.Errorf("origin has no branch release/%s: %v", next, err)
	}
}

func indent(s, prefix string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(prefix + line + "\n")
	}
	return b.String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
