package steps_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/crypto/ssh"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/internal/stalltest"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/registry"
	"github.com/aviary-cd/aviary/pkg/step"
)

// These tests run the real step binaries against peers that accept a
// connection and never answer: a registry, an API server, a git remote.

const somePlanDigest = "sha256:2222222222222222222222222222222222222222222222222222222222222222"

// stallingAPIServer is an API server that answers the reachability probe
// (/version) and then never answers; it returns a kubeconfig for it, and
// counts the requests it holds.
func stallingAPIServer(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	var held atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/version" {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"major":"1","minor":"37","gitVersion":"v1.37.2"}`)
			return
		}
		held.Add(1)
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Minute):
		}
	}))
	t.Cleanup(srv.Close)
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	data := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: stall, cluster: {server: %q}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: stall, context: {cluster: stall, user: u}}]
current-context: stall
`, srv.URL)
	if err := os.WriteFile(kc, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return kc, &held
}

// planOnly is a registry holding a published single-cluster plan of one
// service, without a cluster.
func planOnly(t *testing.T) canarytest.Release {
	t.Helper()
	f := &canarytest.Fixture{Registry: devenv.StartRegistry(t, devenv.RegistryOptions{}), Namespace: "shop", Layout: canarytest.SingleCluster("shop")}
	return f.Plan(t, "1.0.0", []canarytest.Service{{Name: "cart", Replicas: 1}}, nil)
}

// TestStalledPeersEndTheStep (class 3): a step whose registry or API server
// stops answering ends within request-timeout and its retries with exit 3
// naming what stalled; a plan layout whose blob is a named pipe is refused
// at once with exit 2.
func TestStalledPeersEndTheStep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the step binaries")
	}
	bins := stepBinaries(t)
	silent := stalltest.StartSilent(t)
	rel := planOnly(t)
	kc, _ := stallingAPIServer(t)
	fifo := fifoLayout(t)

	tests := []struct {
		name     string
		args     []string
		limit    time.Duration
		wantCode int
		want     []string
	}{
		{"registry", []string{"--plan=" + silent.Addr + "/shop/plans@" + somePlanDigest, "--request-timeout=1s"}, 30 * time.Second, step.ExitExternal,
			[]string{"registry " + silent.Addr + " stalled: no answer within request-timeout 1s, 5 tries", silent.Addr + " sent nothing for 1s"}},
		{"API server", []string{"--plan=" + rel.Ref, "--kubeconfig=" + kc, "--request-timeout=1s"}, 45 * time.Second, step.ExitExternal,
			[]string{`locking namespace "shop"`, "the API server did not answer within the request timeout"}},
		{"named pipe in the plan layout", []string{"--plan=" + fifo}, 10 * time.Second, step.ExitInvalid,
			[]string{"is a named pipe, not a regular file"}},
		{"step-timeout", []string{"--plan=" + rel.Ref, "--kubeconfig=" + kc, "--request-timeout=1m", "--step-timeout=2s"}, 20 * time.Second, step.ExitExternal,
			[]string{"stopped after step-timeout 2s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startStep(t, bins, "deploy-canary", stepEnv(), append(tt.args, "--holder=test")...)
			code := p.wait(t, tt.limit)
			if code != tt.wantCode {
				t.Errorf("deploy-canary = exit %d after %s, want %d\n%s", code, p.took.Round(time.Millisecond), tt.wantCode, p.stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(p.stderr.String(), w) {
					t.Errorf("deploy-canary stderr lacks %q:\n%s", w, p.stderr.String())
				}
			}
			t.Logf("deploy-canary against a stalled %s: exit %d after %s", tt.name, code, p.took.Round(time.Millisecond))
		})
	}
}

// fifoLayout copies a published plan into an OCI layout and makes its
// manifests bundle a named pipe; it returns the plan's reference.
func fifoLayout(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	rel := planOnly(t)
	src, err := registry.ParseReference(rel.Ref)
	if err != nil {
		t.Fatal(err)
	}
	c := registry.New(registry.Options{})
	from, err := c.Target(ctx, src, false)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	to, err := c.Target(ctx, registry.Reference{Layout: dir}, true)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := oras.Copy(ctx, from, src.Digest.String(), to, "1.0.0", oras.DefaultCopyOptions)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := content.FetchAll(ctx, to, desc)
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var path string
	for _, l := range m.Layers {
		if l.MediaType == plan.ManifestsMediaType {
			path = filepath.Join(dir, "blobs", l.Digest.Algorithm().String(), l.Digest.Encoded())
		}
	}
	if path == "" {
		t.Fatalf("plan manifest has no %s layer", plan.ManifestsMediaType)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	// A reader still blocked on the pipe (the code before the fix) sees
	// its end when the test ends.
	t.Cleanup(func() {
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	return "oci-layout:" + dir + "@" + desc.Digest.String()
}

// TestFirstSignalEndsBlockedSteps (class 4): the first SIGTERM ends a step
// blocked on a silent peer within a few seconds, with exit 130 and a message
// naming the signal: while it waits on a registry or an API server (calls
// that honour their context), and while go-git's ssh handshake, which has no
// context, waits on a silent git server.
func TestFirstSignalEndsBlockedSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the step binaries")
	}
	bins := stepBinaries(t)
	silent := stalltest.StartSilent(t)
	rel := planOnly(t)
	kc, held := stallingAPIServer(t)
	key, knownHosts := sshKey(t)
	repo := gitRepo(t)

	tests := []struct {
		name    string
		step    string
		args    []string
		env     []string
		blocked func(before int) bool // the step waits on the peer
		want    string
	}{
		{"registry", "deploy-canary", []string{"--plan=" + silent.Addr + "/shop/plans@" + somePlanDigest, "--holder=test"}, nil,
			func(before int) bool { return silent.Accepted() > before }, "interrupted: terminated signal received: reading plan"},
		{"API server", "deploy-canary", []string{"--plan=" + rel.Ref, "--kubeconfig=" + kc, "--holder=test"}, nil,
			func(int) bool { return held.Load() > 0 }, "interrupted: terminated signal received"},
		{"ssh git remote", "open-release", []string{"--repo-path=" + repo, "--push", "--remote=ssh://git@" + silent.Addr + "/shop.git", "--ssh-key-file=" + key},
			[]string{"SSH_KNOWN_HOSTS=" + knownHosts},
			func(before int) bool { return silent.Accepted() > before }, "interrupted: did not stop within 5s of terminated signal received"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := silent.Accepted()
			p := startStep(t, bins, tt.step, stepEnv(tt.env...), tt.args...)
			deadline := time.Now().Add(20 * time.Second)
			for !tt.blocked(before) {
				if time.Now().After(deadline) || p.exited() {
					t.Fatalf("%s never blocked on the peer\n%s", tt.step, p.stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(500 * time.Millisecond) // well inside the blocking call
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			sent := time.Now()
			code := p.wait(t, step.StopGrace+15*time.Second)
			took := time.Since(sent)
			if code != step.ExitInterrupted || !strings.Contains(p.stderr.String(), tt.want) {
				t.Errorf("%s after SIGTERM = exit %d, want %d with %q\n%s", tt.step, code, step.ExitInterrupted, tt.want, p.stderr.String())
			}
			if took > step.StopGrace+3*time.Second {
				t.Errorf("%s took %s to end after SIGTERM", tt.step, took.Round(time.Millisecond))
			}
			t.Logf("%s blocked on a silent %s: exit %d %s after SIGTERM", tt.step, tt.name, code, took.Round(time.Millisecond))
		})
	}
}

// sshKey writes an ed25519 key file and an empty known_hosts file.
func sshKey(t *testing.T) (key, knownHosts string) {
	t.Helper()
	dir := t.TempDir()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	key, knownHosts = filepath.Join(dir, "id_ed25519"), filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(key, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(knownHosts, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return key, knownHosts
}

// gitRepo is a repository with one commit, made with the git command.
func gitRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"commit", "-q", "--allow-empty", "-m", "initial"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir,
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}
