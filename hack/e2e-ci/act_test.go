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

	"github.com/aviary-cd/aviary/internal/toolcache"
)

// TestActRunsGitHubExample runs examples/github/release.yml with act: its
// three jobs (open, bundle, canary) in podman, each aviary action a Docker
// action whose image is the locally built root image, pinned by digest as
// the release pins actions/ (act --local-repository serves aviary-cd/aviary
// from the pinned adapters). The app's first release is made beforehand
// through the same action contract, so that the workflow releases a canary,
// shifts it and promotes it.
//
// Reduced for time: the workflow's shift-weight pause of 1m becomes 1s,
// and its plan repository is the local registry instead of ghcr.io.
func TestActRunsGitHubExample(t *testing.T) {
	f := get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	act, err := toolcache.Path(ctx, "act")
	if err != nil {
		t.Fatalf("act: %v", err)
	}
	runner := f.loadRunnerImage(t)

	a := f.newApp(t, "shop-act")
	first := newPipeline(t, &githubCI{f: f}, a).first()
	a.commit(t, "feat: gift cards")
	v, err := semver.NewVersion(first)
	if err != nil {
		t.Fatal(err)
	}
	next := v.IncMinor().String() // what open-release will open for a feat commit
	a.pushImages(t, next)
	origin := a.bareOrigin(t)
	// act names the repository after the remote it is told to read.
	if _, err := a.repo.CreateRemote(&gitconfig.RemoteConfig{Name: "github", URLs: []string{"https://github.com/aviary-e2e/shop-act.git"}}); err != nil {
		t.Fatal(err)
	}

	wf := strings.NewReplacer(
		"ghcr.io/${{ github.repository }}/plans", f.env.Registry.Host+"/${{ github.repository }}/plans",
		"pause: 1m", "pause: 1s",
	).Replace(readFile(t, filepath.Join(f.root, "examples", "github", "release.yml")))
	wfFile := filepath.Join(t.TempDir(), "release.yml")
	if err := os.WriteFile(wfFile, []byte(wf), 0o644); err != nil {
		t.Fatal(err)
	}
	// The aviary actions' images, pinned by digest, are pulled beforehand:
	// act runs with --pull=false.
	for _, st := range []string{"open-release", "bundle-plan", "verify-artifacts", "deploy-canary", "shift-weight", "promote", "rollback"} {
		var action actionYAML
		readYAML(t, filepath.Join(f.pinned, "actions", st, "action.yml"), &action)
		f.pull(t, strings.TrimPrefix(action.Runs.Image, "docker://"))
	}

	socket := filepath.Join(f.work, "podman.sock")
	stop, err := f.podman.Service(ctx, socket)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	home := t.TempDir()
	kubeconfig := readFile(t, f.env.Clusters[0].Kubeconfig)
	args := []string{
		"workflow_dispatch", "--workflows", wfFile, "--directory", a.dir,
		"--platform", "ubuntu-latest=" + runner, "--pull=false", "--bind", "--action-offline-mode",
		"--container-daemon-socket", "-", "--remote-name", "github",
		"--local-repository", "aviary-cd/aviary@v1=" + f.pinned,
		"--local-repository", "actions/checkout@v4=" + checkoutStub(t),
		"--input", "bump=auto",
		"--secret", "GITHUB_TOKEN=e2e-token",
		"--secret", "COSIGN_PRIVATE_KEY=" + readFile(t, f.key.Private),
		"--secret", "COSIGN_PASSWORD=" + f.key.Password,
		"--secret", "KUBECONFIG=" + kubeconfig,
		"--var", "COSIGN_PUBLIC_KEY=" + readFile(t, f.key.Public),
	}
	cmd := exec.CommandContext(ctx, act, args...)
	cmd.Dir = a.dir
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+socket, "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	f.timed("act: examples/github (3 jobs)", start)
	if err != nil {
		t.Fatalf("act: %v after %s\n%s", err, took.Round(time.Second), out)
	}
	t.Logf("act ran examples/github/release.yml in %s", took.Round(100*time.Millisecond))
	log := string(out)
	for _, job := range []string{"open", "bundle", "canary"} {
		if !strings.Contains(log, "[release/"+job+"] 🏁  Job succeeded") {
			t.Errorf("act's log shows no successful job %s:\n%s", job, log)
		}
	}
	// open-release pushed the release branch to origin.
	bare, err := git.PlainOpen(origin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.Reference(plumbing.NewBranchReferenceName("release/"+next), true); err != nil {
		t.Errorf("origin has no branch release/%s: %v\n%s", next, err, log)
	}
}

// checkoutStub is a stand-in for actions/checkout, which act cannot fetch
// here (no network): act binds the workspace itself (--bind), so the stub
// only says what it stands for.
func checkoutStub(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	stub := `name: checkout (stand-in)
description: act binds the repository as the workspace; nothing to fetch.
inputs:
  ref: {description: ref, required: false}
  fetch-depth: {description: depth, required: false}
runs:
  using: composite
  steps:
    - run: echo "checkout stand-in, ref ${{ inputs.ref }} - the workspace is the bound repository"
      shell: sh
`
	if err := os.WriteFile(filepath.Join(dir, "action.yml"), []byte(stub), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// bareOrigin makes a bare repository inside the workspace (.aviary/, which
// git ignores) as the remote origin that open-release pushes to; the URL is
// relative, so it resolves in the step's container as on the host.
func (a *app) bareOrigin(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(a.dir, ".aviary", "origin.git")
	a.bareOriginAt(t, dir, ".aviary/origin.git")
	return dir
}

// bareOriginAt makes a bare repository at dir as the remote origin, named
// by url where the step runs.
func (a *app) bareOriginAt(t *testing.T, dir, url string) {
	t.Helper()
	if _, err := git.PlainInit(dir, true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.repo.CreateRemote(&gitconfig.RemoteConfig{Name: "origin", URLs: []string{url}}); err != nil {
		t.Fatal(err)
	}
}
