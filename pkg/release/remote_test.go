package release

import (
	"context"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"

	"github.com/aviary-cd/aviary/internal/stalltest"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

// gitServer serves the bare repositories under root with git's own
// smart-HTTP server (git http-backend), pushes allowed.
func gitServer(t *testing.T, gitBin, root string) string {
	t.Helper()
	backend := &cgi.Handler{
		Path: gitBin,
		Args: []string{"http-backend"},
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "HOME=" + root,
			"GIT_CONFIG_NOSYSTEM=1", "REMOTE_USER=ci"},
	}
	srv := httptest.NewServer(backend)
	t.Cleanup(srv.Close)
	return srv.URL
}

// gitCmd runs the git binary with a clean configuration.
func gitCmd(t *testing.T, gitBin, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(gitBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestOpenConsultsTheRemotesTags: origin (a real git server) has v1.0.0 and
// v1.2.0. A clone made as actions/checkout makes it (one commit, no tags)
// does not see them: pushing would open 0.1.0 beside v1.2.0, so Open
// refuses and says to fetch tags, and origin is left alone. Asked
// explicitly (AllowOlder), it pushes. A full clone releases 1.2.1; an
// explicit version below v1.2.0 is refused unless allowed.
func TestOpenConsultsTheRemotesTags(t *testing.T) {
	if testing.Short() {
		t.Skip("runs git http-backend")
	}
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("this test needs the git binary: %v", err)
	}
	src := newTestRepo(t)
	src.tag("v1.0.0", src.commit("initial"))
	src.annotatedTag("v1.2.0", src.commit("feat: a"))
	src.commit("fix: b")
	root := t.TempDir()
	gitCmd(t, gitBin, root, "clone", "-q", "--bare", src.dir, "origin.git")
	origin, err := git.PlainOpen(filepath.Join(root, "origin.git"))
	if err != nil {
		t.Fatal(err)
	}
	url := gitServer(t, gitBin, root) + "/origin.git"
	work := t.TempDir()
	gitCmd(t, gitBin, work, "clone", "-q", "--depth", "1", "--no-tags", url, "shallow")
	gitCmd(t, gitBin, work, "clone", "-q", url, "full")
	ctx := context.Background()
	open := func(dir string) *Repository {
		repo, err := OpenRepository(filepath.Join(work, dir))
		if err != nil {
			t.Fatal(err)
		}
		return repo
	}

	_, err = Open(ctx, open("shallow"), Options{Push: true})
	if outcome.KindOf(err) != outcome.KindInvalid {
		t.Fatalf("Open(shallow clone, push) error = %v, want Invalid", err)
	}
	for _, want := range []string{"has release 1.2.0 (refs/tags/v1.2.0), higher than 0.1.0", "this shallow clone lacks it", "fetch-depth: 0", "allow-older-version"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open(shallow clone, push) error = %v, want %q in it", err, want)
		}
	}
	if _, ok := remoteBranch(t, origin, "release/0.1.0"); ok {
		t.Fatal("origin got release/0.1.0 beside v1.2.0")
	}

	res, err := Open(ctx, open("shallow"), Options{Push: true, AllowOlder: true})
	if err != nil || !res.Pushed || res.Version.String() != "0.1.0" {
		t.Fatalf("Open(shallow clone, push, allow older) = %v, %v; want 0.1.0 pushed as asked", res, err)
	}

	res, err = Open(ctx, open("full"), Options{Push: true})
	if err != nil || !res.Pushed || res.Version.String() != "1.2.1" {
		t.Fatalf("Open(full clone, push) = %v, %v; want 1.2.1 pushed", res, err)
	}

	_, err = Open(ctx, open("full"), Options{Push: true, Version: "1.1.0"})
	if outcome.KindOf(err) != outcome.KindNegative || !strings.Contains(err.Error(), "version 1.1.0 is lower than release 1.2.1") {
		t.Fatalf("Open(full clone, version 1.1.0) error = %v, want Negative: lower than 1.2.1", err)
	}
	res, err = Open(ctx, open("full"), Options{Push: true, Version: "1.1.0", AllowOlder: true})
	if err != nil || !res.Pushed {
		t.Fatalf("Open(full clone, version 1.1.0, allow older) = %v, %v; want pushed", res, err)
	}
	fsck(t, gitBin, filepath.Join(root, "origin.git"))
}

// TestPushStalledRemote: an http remote that accepts connections and never
// answers fails the push within the request timeout, naming the remote.
func TestPushStalledRemote(t *testing.T) {
	silent := stalltest.StartSilent(t)
	r := newTestRepo(t)
	r.commit("initial")
	start := time.Now()
	_, err := Open(context.Background(), r.open(), Options{Push: true, Remote: "http://" + silent.Addr + "/shop.git", RequestTimeout: 200 * time.Millisecond})
	if outcome.KindOf(err) != outcome.KindExternal || !strings.Contains(err.Error(), silent.Addr+" sent nothing for 200ms") {
		t.Fatalf("Open(silent remote) error = %v, want External naming %s", err, silent.Addr)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Open(silent remote) took %s", took)
	}
}
