package release

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// testRepo builds git histories for tests with go-git.
type testRepo struct {
	t    *testing.T
	dir  string
	repo *git.Repository
	n    int
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newTestRepo(t *testing.T) *testRepo {
	t.Helper()
	dir := t.TempDir()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.Main},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &testRepo{t: t, dir: dir, repo: repo}
}

func (r *testRepo) sig() *object.Signature {
	return &object.Signature{Name: "Test", Email: "test@example.com", When: epoch.Add(time.Duration(r.n) * time.Minute)}
}

// commit commits a change on the checked-out branch and returns its hash.
func (r *testRepo) commit(msg string) plumbing.Hash {
	r.t.Helper()
	r.n++
	wt, err := r.repo.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.dir, "file.txt"), []byte(fmt.Sprintf("change %d\n", r.n)), 0o644); err != nil {
		r.t.Fatal(err)
	}
	if _, err := wt.Add("file.txt"); err != nil {
		r.t.Fatal(err)
	}
	h, err := wt.Commit(msg, &git.CommitOptions{Author: r.sig(), Committer: r.sig()})
	if err != nil {
		r.t.Fatal(err)
	}
	return h
}

// merge records a merge commit of the current branch's tip and other.
func (r *testRepo) merge(msg string, other plumbing.Hash) plumbing.Hash {
	r.t.Helper()
	r.n++
	head, err := r.repo.Head()
	if err != nil {
		r.t.Fatal(err)
	}
	wt, _ := r.repo.Worktree()
	h, err := wt.Commit(msg, &git.CommitOptions{Author: r.sig(), Committer: r.sig(), AllowEmptyCommits: true,
		Parents: []plumbing.Hash{head.Hash(), other}})
	if err != nil {
		r.t.Fatal(err)
	}
	return h
}

func (r *testRepo) setRef(name plumbing.ReferenceName, h plumbing.Hash) {
	r.t.Helper()
	if err := r.repo.Storer.SetReference(plumbing.NewHashReference(name, h)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) tag(name string, h plumbing.Hash) { r.setRef(plumbing.NewTagReferenceName(name), h) }

func (r *testRepo) annotatedTag(name string, h plumbing.Hash) {
	r.t.Helper()
	if _, err := r.repo.CreateTag(name, h, &git.CreateTagOptions{Message: "release " + name, Tagger: r.sig()}); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) branch(name string, h plumbing.Hash) {
	r.setRef(plumbing.NewBranchReferenceName(name), h)
}

// checkout switches to an existing branch, or detaches HEAD at a hash.
func (r *testRepo) checkout(branch string, h plumbing.Hash) {
	r.t.Helper()
	wt, _ := r.repo.Worktree()
	opts := &git.CheckoutOptions{Force: true}
	if branch != "" {
		opts.Branch = plumbing.NewBranchReferenceName(branch)
	} else {
		opts.Hash = h
	}
	if err := wt.Checkout(opts); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) addRemote(name, url string) {
	r.t.Helper()
	_, err := r.repo.CreateRemote(&config.RemoteConfig{Name: name, URLs: []string{url},
		Fetch: []config.RefSpec{config.RefSpec("+refs/heads/*:refs/remotes/" + name + "/*")}})
	if err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) ref(name plumbing.ReferenceName) (plumbing.Hash, bool) {
	ref, err := r.repo.Reference(name, true)
	if err != nil {
		return plumbing.ZeroHash, false
	}
	return ref.Hash(), true
}

func (r *testRepo) open() *Repository {
	r.t.Helper()
	repo, err := OpenRepository(r.dir)
	if err != nil {
		r.t.Fatal(err)
	}
	return repo
}

// bareRepo makes an empty bare repository to push to.
func bareRepo(t *testing.T) (string, *git.Repository) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "remote.git")
	repo, err := git.PlainInit(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	return dir, repo
}
