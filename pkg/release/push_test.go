package release

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

func remoteBranch(t *testing.T, remote *git.Repository, name string) (plumbing.Hash, bool) {
	t.Helper()
	ref, err := remote.Reference(plumbing.NewBranchReferenceName(name), true)
	if err != nil {
		return plumbing.ZeroHash, false
	}
	return ref.Hash(), true
}

func TestOpenPushesToFileRemotes(t *testing.T) {
	tests := []struct {
		name   string
		remote func(r *testRepo, dir string) string // the remote input, given the bare repository's directory
	}{
		{"file URL", func(_ *testRepo, dir string) string { return "file://" + filepath.ToSlash(dir) }},
		{"absolute path", func(_ *testRepo, dir string) string { return dir }},
		{"configured remote with a relative path", func(r *testRepo, dir string) string {
			rel, err := filepath.Rel(r.dir, dir)
			if err != nil {
				t.Fatal(err)
			}
			r.addRemote("origin", rel)
			return "origin"
		}},
	}
	gitBin, _ := exec.LookPath("git")
	t.Setenv("PATH", "") // file remotes are served in-process: no git-receive-pack needed
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, remote := bareRepo(t)
			r := newTestRepo(t)
			r.tag("v1.0.0", r.commit("initial"))
			tip := r.commit("feat: a")
			opts := Options{Push: true, Remote: tt.remote(r, dir)}

			got, err := Open(context.Background(), r.open(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Pushed || got.Branch != "release/1.1.0" {
				t.Errorf("Open() = %s pushed=%v, want release/1.1.0 pushed", got.Branch, got.Pushed)
			}
			if h, ok := remoteBranch(t, remote, "release/1.1.0"); !ok || h != tip {
				t.Errorf("remote branch release/1.1.0 = %s (exists=%v), want %s", h, ok, tip)
			}
			fsck(t, gitBin, dir)

			again, err := Open(context.Background(), r.open(), opts)
			if err != nil || again.Pushed || again.Created {
				t.Errorf("Open() again = pushed=%v created=%v, %v; want nothing changed", again.Pushed, again.Created, err)
			}
		})
	}
}

// fsck has git check the repository that go-git's in-process receive-pack
// wrote to, when a git binary is at hand.
func fsck(t *testing.T, gitBin, gitDir string) {
	t.Helper()
	if gitBin == "" {
		t.Logf("no git binary; not running git fsck on %s", gitDir)
		return
	}
	cmd := exec.Command(gitBin, "--git-dir", gitDir, "fsck", "--strict", "--no-dangling")
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("git fsck %s: %v\n%s", gitDir, err, out)
	}
}

// push resolves remote and pushes the local branch name at commit to it.
func push(t *testing.T, repo *Repository, remote, name string, commit plumbing.Hash, auth Auth) (bool, error) {
	t.Helper()
	rm, err := repo.Remote(remote, auth)
	if err != nil {
		t.Fatalf("Remote(%q) error = %v", remote, err)
	}
	return rm.Push(context.Background(), name, commit)
}

func TestPushRefusesRemoteBranchElsewhere(t *testing.T) {
	dir, remote := bareRepo(t)
	r := newTestRepo(t)
	old := r.commit("initial")
	if err := remote.Storer.SetReference(plumbing.NewHashReference("refs/heads/release/0.1.0", old)); err != nil {
		t.Fatal(err)
	}
	tip := r.commit("fix: a")
	_, err := push(t, r.open(), dir, "release/0.1.0", tip, Auth{})
	if outcome.KindOf(err) != outcome.KindNegative || !strings.Contains(err.Error(), short(tip)) {
		t.Fatalf("Push() error = %v, want Negative naming %s", err, short(tip))
	}
	// The remote has no objects for old, but its branch must not have moved.
	if h, _ := remoteBranch(t, remote, "release/0.1.0"); h != old {
		t.Errorf("remote branch moved to %s", h)
	}
}

// TestPushToMissingPathIsInvalid: a path where no repository is can never
// be pushed to: exit 2, before anything is attempted, not 3.
func TestPushToMissingPathIsInvalid(t *testing.T) {
	r := newTestRepo(t)
	r.commit("initial")
	missing := filepath.Join(t.TempDir(), "missing.git")
	_, err := r.open().Remote(missing, Auth{})
	if outcome.KindOf(err) != outcome.KindInvalid || !strings.Contains(err.Error(), "no git repository at "+missing) {
		t.Errorf("Remote(missing path) error = %v, want Invalid naming the path", err)
	}
}

func TestPushUnreachableRemoteIsExternal(t *testing.T) {
	r := newTestRepo(t)
	tip := r.commit("initial")
	_, err := push(t, r.open(), "http://127.0.0.1:1/shop.git", "release/0.1.0", tip, Auth{})
	if outcome.KindOf(err) != outcome.KindExternal {
		t.Errorf("Push(unreachable remote) error = %v, want External", err)
	}
}

// TestPushOverHTTPSWithToken pushes through git's own smart-HTTP server
// (git http-backend) behind a basic-auth check, over TLS.
func TestPushOverHTTPSWithToken(t *testing.T) {
	if testing.Short() {
		t.Skip("runs git http-backend")
	}
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("this test needs the git binary for git http-backend: %v", err)
	}
	const token = "s3cret-token"
	root := t.TempDir()
	remote, err := git.PlainInit(filepath.Join(root, "remote.git"), true)
	if err != nil {
		t.Fatal(err)
	}
	backend := &cgi.Handler{
		Path: gitBin,
		Args: []string{"http-backend"},
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "HOME=" + root,
			"GIT_CONFIG_NOSYSTEM=1", "REMOTE_USER=" + TokenUser},
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		user, pass, ok := req.BasicAuth()
		if !ok || user != TokenUser || pass != token {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "bad credentials", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, req)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-certificate case logs a handshake error
	srv.StartTLS()
	defer srv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	url := srv.URL + "/remote.git"

	r := newTestRepo(t)
	tip := r.commit("initial")
	r.branch("release/0.1.0", tip)
	repo := r.open()

	for _, bad := range []string{"", "wrong"} {
		_, err := push(t, repo, url, "release/0.1.0", tip, Auth{Token: bad, CABundle: ca})
		if outcome.KindOf(err) != outcome.KindExternal {
			t.Errorf("Push(token %q) error = %v, want External", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), token) {
			t.Errorf("Push(token %q) error shows the token: %v", bad, err)
		}
	}
	if _, err := push(t, repo, url, "release/0.1.0", tip, Auth{Token: token}); outcome.KindOf(err) != outcome.KindExternal {
		t.Errorf("Push(untrusted certificate) error = %v, want External", err)
	}

	pushed, err := push(t, repo, url, "release/0.1.0", tip, Auth{Token: token, CABundle: ca})
	if err != nil || !pushed {
		t.Fatalf("Push(right token) = %v, %v, want pushed", pushed, err)
	}
	if h, ok := remoteBranch(t, remote, "release/0.1.0"); !ok || h != tip {
		t.Errorf("remote branch release/0.1.0 = %s (exists=%v), want %s", h, ok, tip)
	}
	pushed, err = push(t, repo, url, "release/0.1.0", tip, Auth{Token: token, CABundle: ca})
	if err != nil || pushed {
		t.Errorf("Push(again) = %v, %v, want nothing to do", pushed, err)
	}
}

func TestAuthMethod(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "id_ed25519")
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}

	endpoint := func(u string) *transport.Endpoint {
		ep, err := transport.NewEndpoint(u)
		if err != nil {
			t.Fatal(err)
		}
		return ep
	}
	got, err := authMethod(endpoint("https://example.com/o/r.git"), Auth{Token: "t"})
	if b, ok := got.(*githttp.BasicAuth); err != nil || !ok || b.Username != TokenUser || b.Password != "t" {
		t.Errorf("authMethod(https, token) = %#v, %v, want basic auth %s", got, err, TokenUser)
	}
	if got, err := authMethod(endpoint("https://example.com/o/r.git"), Auth{}); got != nil || err != nil {
		t.Errorf("authMethod(https, no token) = %v, %v, want none", got, err)
	}
	if _, err := authMethod(endpoint("http://example.com/o/r.git"), Auth{Token: "t"}); outcome.KindOf(err) != outcome.KindInvalid {
		t.Errorf("authMethod(http, token) error = %v, want Invalid", err)
	}
	got, err = authMethod(endpoint("git@example.com:o/r.git"), Auth{SSHKeyFile: keyFile})
	if k, ok := got.(*gitssh.PublicKeys); err != nil || !ok || k.User != "git" {
		t.Errorf("authMethod(ssh, key file) = %#v, %v, want public keys for user git", got, err)
	}
	if got, err := authMethod(endpoint("ssh://deploy@example.com/o/r.git"), Auth{}); got != nil || err != nil {
		t.Errorf("authMethod(ssh, no key) = %v, %v, want none (the agent)", got, err)
	}
	if _, err := authMethod(endpoint("ssh://example.com/o/r.git"), Auth{SSHKeyFile: keyFile + ".missing"}); outcome.KindOf(err) != outcome.KindInvalid {
		t.Errorf("authMethod(ssh, missing key file) error = %v, want Invalid", err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:tok@example.com/r.git": "https://user:xxxxx@example.com/r.git",
		"https://example.com/r.git":          "https://example.com/r.git",
		"git@example.com:o/r.git":            "git@example.com:o/r.git",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
