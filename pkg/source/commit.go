package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/plan"
)

// source is the release commit of the app repository: everything bundle-plan
// reads comes from its tree, never from the work tree.
type source struct {
	commit *object.Commit
	tree   *object.Tree
	head   *plumbing.Reference
	origin string // origin's URL without credentials; empty without origin
}

func openSource(repoPath string) (*source, error) {
	repo, err := git.PlainOpenWithOptions(repoPath, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, outcome.Invalidf("no git repository at or above %q (repo-path)", repoPath)
	}
	if err != nil {
		return nil, fmt.Errorf("opening repository %q: %w", repoPath, err)
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
	s := &source{commit: commit, tree: tree, head: head}
	if r, err := repo.Remote("origin"); err == nil && len(r.Config().URLs) > 0 {
		s.origin = withoutCredentials(r.Config().URLs[0])
	}
	return s, nil
}

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

// version takes the release version from the input, else from the branch
// checked out (release/X.Y.Z), else from the branch the CI system names
// (GitHub Actions checks out a detached HEAD).
func (s *source) version(input string, getenv func(string) string) (string, error) {
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
			if rest, ok := strings.CutPrefix(b, "release/"); ok {
				v, from = rest, "branch "+b
				break
			}
		}
		if v == "" {
			return "", outcome.Invalidf("no release version: set the version input or check out a release/X.Y.Z branch (HEAD is %s)", s.head.Name().Short())
		}
	}
	if err := plan.CheckVersion(v); err != nil {
		return "", outcome.Invalidf("%s: %w", from, err)
	}
	return v, nil
}

// readConfig reads and parses the release config from the commit's tree.
func (s *source) readConfig(name string) (*config.Config, error) {
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

// manifests reads every service's Kubernetes YAML (*.yaml, *.yml, in the
// service's directory and below) from the commit, as bundle paths
// <service>/<path below the directory>. Every problem of every service is
// reported at once.
func (s *source) manifests(cfg *config.Config) (map[string][]byte, error) {
	files := map[string][]byte{}
	var problems []string
	trees := map[string]*object.Tree{".": s.tree}
	for i, svc := range cfg.Services {
		where := fmt.Sprintf("services[%d].manifests (%s)", i, svc.Manifests)
		sub, err := treeAt(trees, path.Clean(svc.Manifests))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: no such directory in commit %s", where, s.commit.Hash.String()[:12]))
			continue
		}
		found := 0
		err = sub.Files().ForEach(func(f *object.File) error {
			if !isYAML(f.Name) {
				return nil
			}
			if f.Mode == filemode.Symlink {
				problems = append(problems, fmt.Sprintf("%s: %s is a symbolic link; commit the file itself", where, f.Name))
				return nil
			}
			data, err := readBlob(f)
			if err != nil {
				return err
			}
			if _, err := plan.CheckObjects(data); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %s: %v", where, f.Name, err))
				return nil
			}
			files[svc.Name+"/"+f.Name] = data
			found++
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", where, err)
		}
		if found == 0 && !hasProblem(problems, where) {
			problems = append(problems, fmt.Sprintf("%s: no *.yaml or *.yml files", where))
		}
	}
	if len(problems) > 0 {
		return nil, outcome.Invalidf("manifests: %d problem(s)\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return files, nil
}

// treeAt finds the tree at dir, remembering every tree on the way in
// trees: services' directories usually share parents (deploy/<service>),
// which are then decoded once instead of once per service.
func treeAt(trees map[string]*object.Tree, dir string) (*object.Tree, error) {
	if t, ok := trees[dir]; ok {
		return t, nil
	}
	parent, err := treeAt(trees, path.Dir(dir))
	if err != nil {
		return nil, err
	}
	t, err := parent.Tree(path.Base(dir))
	if err != nil {
		return nil, err
	}
	trees[dir] = t
	return t, nil
}

func hasProblem(problems []string, prefix string) bool {
	for _, p := range problems {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

func readBlob(f *object.File) ([]byte, error) {
	r, err := f.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}
