package release

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// Repository is a git repository read and written through go-git: no git
// binary is needed.
type Repository struct {
	repo *git.Repository
	dir  string // the work tree's top directory, or the git directory when bare
}

// OpenRepository opens the repository holding path (path or one of its
// parents holds .git).
func OpenRepository(path string) (*Repository, error) {
	repo, err := git.PlainOpenWithOptions(path, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, outcome.Invalidf("opening repository: no git repository at or above %q", path)
	}
	if err != nil {
		return nil, fmt.Errorf("opening repository %q: %w", path, err)
	}
	dir := path
	if wt, err := repo.Worktree(); err == nil {
		dir = wt.Filesystem.Root()
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("opening repository %q: %w", path, err)
	}
	return &Repository{repo: repo, dir: abs}, nil
}

// Release is one ref naming a release: a tag vX.Y.Z or X.Y.Z, or a local or
// remote-tracking branch matching the branch pattern.
type Release struct {
	Version *semver.Version
	Ref     plumbing.ReferenceName // refs/tags/v1.2.3, refs/heads/release/1.2.3, refs/remotes/origin/release/1.2.3
	Commit  plumbing.Hash
}

// IsBranch reports whether the release is named by a local or remote-tracking branch.
func (r Release) IsBranch() bool { return r.Ref.IsBranch() || r.Ref.IsRemote() }

// Releases lists every tag and branch naming a release, highest version first.
func (r *Repository) Releases(p BranchPattern) ([]Release, error) {
	refs, err := r.repo.References()
	if err != nil {
		return nil, fmt.Errorf("listing references: %w", err)
	}
	defer refs.Close()
	var out []Release
	err = refs.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() != plumbing.HashReference {
			return nil
		}
		name := ref.Name()
		var v *semver.Version
		var ok bool
		switch {
		case name.IsTag():
			v, ok = TagVersion(name.Short())
		case name.IsBranch():
			v, ok = p.Version(name.Short())
		case name.IsRemote():
			// refs/remotes/<remote>/<branch>
			_, branch, found := strings.Cut(strings.TrimPrefix(name.String(), "refs/remotes/"), "/")
			if found {
				v, ok = p.Version(branch)
			}
		}
		if !ok {
			return nil
		}
		commit, err := r.peel(ref.Hash())
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		if !commit.IsZero() {
			out = append(out, Release{Version: v, Ref: name, Commit: commit})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing releases: %w", err)
	}
	slices.SortStableFunc(out, func(a, b Release) int {
		if c := b.Version.Compare(a.Version); c != 0 {
			return c
		}
		return strings.Compare(a.Ref.String(), b.Ref.String())
	})
	return out, nil
}

// peel follows annotated tags down to a commit. A tag of a tree or blob
// yields the zero hash.
func (r *Repository) peel(h plumbing.Hash) (plumbing.Hash, error) {
	for range 10 {
		obj, err := r.repo.Storer.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		switch obj.Type() {
		case plumbing.CommitObject:
			return h, nil
		case plumbing.TagObject:
			tag, err := object.DecodeTag(r.repo.Storer, obj)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			h = tag.Target
		default:
			return plumbing.ZeroHash, nil
		}
	}
	return plumbing.ZeroHash, nil
}

// Head returns the commit HEAD points at.
func (r *Repository) Head() (plumbing.Hash, error) {
	ref, err := r.repo.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, outcome.Invalidf("reading HEAD: the repository has no commits yet")
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("reading HEAD: %w", err)
	}
	return ref.Hash(), nil
}

// ResolveBase finds the commit a release branch starts from: the local branch
// base, else the remote-tracking branch remote/base, else base read as any
// revision (a tag, a hash, origin/main).
func (r *Repository) ResolveBase(base, remote string) (plumbing.Hash, plumbing.ReferenceName, error) {
	for _, name := range []plumbing.ReferenceName{
		plumbing.NewBranchReferenceName(base),
		plumbing.NewRemoteReferenceName(remote, base),
	} {
		ref, err := r.repo.Reference(name, true)
		if err == nil {
			return ref.Hash(), name, nil
		}
	}
	h, err := r.repo.ResolveRevision(plumbing.Revision(base))
	if err != nil {
		return plumbing.ZeroHash, "", outcome.Invalidf("resolving base %q: no branch %s, no remote-tracking branch %s/%s, no such revision",
			base, base, remote, base)
	}
	return *h, plumbing.ReferenceName(base), nil
}

func (r *Repository) shallowSet() (map[plumbing.Hash]bool, error) {
	hs, err := r.repo.Storer.Shallow()
	if err != nil {
		return nil, fmt.Errorf("reading shallow commits: %w", err)
	}
	set := make(map[plumbing.Hash]bool, len(hs))
	for _, h := range hs {
		set[h] = true
	}
	return set, nil
}

// Shallow reports whether the repository is a shallow clone, whose history
// (and often tags) are incomplete.
func (r *Repository) Shallow() bool {
	set, err := r.shallowSet()
	return err == nil && len(set) > 0
}

// CreateBranch points the new local branch name at commit. A name no
// repository can hold is outcome.Invalid.
func (r *Repository) CreateBranch(name string, commit plumbing.Hash) error {
	if err := checkBranchLength(name); err != nil {
		return outcome.Invalidf("creating branch: %w", err)
	}
	ref := plumbing.NewHashReference(plumbing.NewBranchReferenceName(name), commit)
	if err := r.repo.Storer.SetReference(ref); err != nil {
		return fmt.Errorf("creating branch %s: %w", name, err)
	}
	return nil
}
