package source

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/release"
)

// Commit is the release commit of an app repository: everything read from
// it comes from its tree, never from the work tree.
type Commit struct {
	commit  *object.Commit
	tree    *object.Tree
	head    *plumbing.Reference
	origin  string              // origin's URL without credentials; empty without origin
	fs      filesys.FileSystem  // the commit's files, for Kustomize; read once
	storage *filesystem.Storage // closed by Close; nil when not kept open
}

// Close closes the files the repository was read through.
func (s *Commit) Close() error {
	if s.storage == nil {
		return nil
	}
	return s.storage.Close()
}

// Open opens the repository at or above repoPath and reads its HEAD commit.
func Open(repoPath string) (*Commit, error) {
	var storage *filesystem.Storage
	repo, err := git.PlainOpenWithOptions(repoPath, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, outcome.Invalidf("no git repository at or above %q (repo-path)", repoPath)
	}
	if err != nil {
		return nil, fmt.Errorf("opening repository %q: %w", repoPath, err)
	}
	// Read with descriptors kept open: a packfile is then opened once,
	// not once per object read. The repository is only read.
	if st, ok := repo.Storer.(*filesystem.Storage); ok {
		kept := filesystem.NewStorageWithOptions(st.Filesystem(), cache.NewObjectLRUDefault(),
			filesystem.Options{KeepDescriptors: true})
		if r, err := git.Open(kept, nil); err == nil {
			repo, storage = r, kept
		}
	}
	head, err := repo.Head()
	if err != nil {
		return nil, outcome.Invalidf("reading HEAD of %q: %w", repoPath, err)
	}
	commit, err := repo.CommitObject(head.Hash())
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", head.Hash(), err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading the tree of commit %s: %w", head.Hash(), err)
	}
	s := &Commit{commit: commit, tree: tree, head: head, storage: storage}
	if r, err := repo.Remote("origin"); err == nil && len(r.Config().URLs) > 0 {
		s.origin = withoutCredentials(r.Config().URLs[0])
	}
	return s, nil
}

// Hash is the commit's full hash.
func (s *Commit) Hash() string { return s.commit.Hash.String() }

// Time is when the commit was committed.
func (s *Commit) Time() time.Time { return s.commit.Committer.When }

// Origin is the URL of the remote origin without credentials; empty when
// there is none.
func (s *Commit) Origin() string { return s.origin }

// withoutCredentials drops user information from a URL: CI checkouts often
// carry a token there (https://x-access-token:...@host/...).
func withoutCredentials(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return raw // scp-like git@host:path or a local path
	}
	u.User = nil
	return u.String()
}

// Version takes the release version from the input, else from the branch
// checked out when pattern names it (release/X.Y.Z by default), else from
// the branch the CI system names (GitHub Actions checks out a detached HEAD).
func (s *Commit) Version(input string, pattern release.BranchPattern, getenv func(string) string) (string, error) {
	v := input
	from := "the version input"
	if v == "" {
		var branches []string
		if s.head.Name().IsBranch() {
			branches = append(branches, s.head.Name().Short())
		}
		for _, k := range []string{"GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_BRANCH", "CI_COMMIT_REF_NAME"} {
			if b := getenv(k); b != "" {
				branches = append(branches, b)
			}
		}
		for _, b := range branches {
			if rest, ok := pattern.Cut(b); ok {
				v, from = rest, "branch "+b
				break
			}
		}
		if v == "" {
			return "", outcome.Invalidf("no release version: set the version input or check out a %s branch (HEAD is %s)", pattern, s.head.Name().Short())
		}
	}
	if err := plan.CheckVersion(v); err != nil {
		return "", outcome.Invalidf("%s: %w", from, err)
	}
	return v, nil
}

// ReadConfig reads and parses the release config from the commit's tree.
func (s *Commit) ReadConfig(name string) (*config.Config, error) {
	p := path.Clean(strings.TrimPrefix(name, "./"))
	f, err := s.tree.File(p)
	if errors.Is(err, object.ErrFileNotFound) || errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrEntryNotFound) {
		return nil, outcome.Invalidf("%s: not in commit %s (bundle-plan reads the committed file, not the work tree)", name, s.commit.Hash)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s at commit %s: %w", name, s.commit.Hash, err)
	}
	if f.Size > config.MaxSize {
		return nil, outcome.Invalidf("%s: %d bytes, more than a config may have (%d)", name, f.Size, config.MaxSize)
	}
	data, err := readBlob(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s at commit %s: %w", name, s.commit.Hash, err)
	}
	return config.Parse(name, data)
}
