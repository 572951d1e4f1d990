package release

import (
	"context"
	"fmt"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// Options says which release to open. The zero value of each field is
// documented beside it.
type Options struct {
	Bump          string // major, minor, patch, prerelease, auto; empty means auto
	Version       string // explicit version; empty computes one from Bump
	Base          string // branch the release starts from; empty means "main"
	BranchPattern string // empty means DefaultBranchPattern
	Push          bool   // push the release branch to Remote
	Remote        string // configured remote name, URL or path; empty means "origin"
	Auth          Auth
	// AllowOlder lets Push open a version lower than the highest release the
	// remote already has (a patch of an older line). Without it Open refuses:
	// a clone that lacks the remote's tags (actions/checkout's default shallow
	// clone) would otherwise open 0.1.0 beside v1.x.
	AllowOlder bool
	// RequestTimeout bounds each request to an http or https remote while it
	// is silent (see package stall); 0 means stall.DefaultTimeout.
	RequestTimeout time.Duration
}

// Result is the release that is open after Open.
type Result struct {
	Version  *semver.Version
	Previous *semver.Version // the highest release below Version; nil for the first
	Branch   string
	Commit   plumbing.Hash
	Reason   Reason
	Created  bool // the local branch was created by this call
	Pushed   bool // the remote branch was created by this call
}

// Open finds the latest release among tags and release branches, decides the
// next version and opens its branch at the base commit, pushing it when asked.
//
// It is safe to repeat. When HEAD or the base commit already is the tip of a
// release branch (and no other version is asked for explicitly), that release
// is returned as it is. When the branch for the version exists at the base
// commit, nothing changes. A version already named by a branch or tag at
// another commit is an outcome.Negative error.
func Open(ctx context.Context, repo *Repository, o Options) (*Result, error) {
	o = o.withDefaults()
	pattern, explicit, err := o.parse()
	if err != nil {
		return nil, err
	}
	var remote *Remote
	if o.Push {
		boundHTTPRemotes(o.RequestTimeout)
		if remote, err = repo.Remote(o.Remote, o.Auth); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// What the remote has decides as much as what the clone has: a clone
	// without tags does not know the latest release.
	var remoteReleases []Release
	if remote != nil {
		if remoteReleases, err = remote.Releases(ctx, pattern); err != nil {
			return nil, err
		}
	}

	releases, err := repo.Releases(pattern)
	if err != nil {
		return nil, err
	}
	head, err := repo.Head()
	if err != nil {
		return nil, err
	}
	base, baseRef, err := repo.ResolveBase(o.Base, o.Remote)
	if err != nil {
		return nil, err
	}

	res := &Result{Commit: base}
	if at, ok := openAt(releases, explicit, head, base); ok {
		res.Version, res.Commit = at.Version, at.Commit
		res.Reason = Reason{How: "existing", Text: fmt.Sprintf("%s is already the tip of %s", describe(at.Commit, head), at.Ref.Short())}
	} else {
		if res.Version, res.Reason, err = newVersion(repo, releases, explicit, o.Bump, base); err != nil {
			return nil, err
		}
		if err := checkFree(releases, pattern, res.Version, base, baseRef); err != nil {
			return nil, err
		}
	}
	res.Previous = previous(releases, res.Version)
	res.Branch = pattern.Name(res.Version)
	if remote != nil && !o.AllowOlder {
		if err := notBelowRemote(remoteReleases, releases, res, explicit != nil, remote.shown, repo.Shallow()); err != nil {
			return nil, err
		}
	}

	if !hasRef(releases, plumbing.NewBranchReferenceName(res.Branch)) {
		if err := repo.CreateBranch(res.Branch, res.Commit); err != nil {
			return nil, err
		}
		res.Created = true
	}
	if remote != nil {
		if res.Pushed, err = remote.Push(ctx, res.Branch, res.Commit); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// parse checks the options that need no repository: the bump, the branch
// pattern and an explicit version, which excludes a bump.
func (o Options) parse() (BranchPattern, *semver.Version, error) {
	if err := ValidateBump(o.Bump); err != nil {
		return BranchPattern{}, nil, err
	}
	pattern, err := ParseBranchPattern(o.BranchPattern)
	if err != nil {
		return BranchPattern{}, nil, err
	}
	if o.Version == "" {
		return pattern, nil, nil
	}
	explicit, err := ParseVersion(o.Version)
	if err != nil {
		return BranchPattern{}, nil, err
	}
	if o.Bump != "" && o.Bump != BumpAuto {
		return BranchPattern{}, nil, outcome.Invalidf("both bump %q and version %q given; give one of them", o.Bump, o.Version)
	}
	return pattern, explicit, nil
}

// newVersion is the version a new release branch takes: the explicit one,
// else the next after releases by bump.
func newVersion(repo *Repository, releases []Release, explicit *semver.Version, bump string, base plumbing.Hash) (*semver.Version, Reason, error) {
	if explicit != nil {
		return explicit, Reason{How: "explicit", Text: "version given explicitly"}, nil
	}
	v, reason, err := next(repo, releases, bump, base)
	if err != nil {
		return nil, Reason{}, err
	}
	return &v, reason, nil
}

func (o Options) withDefaults() Options {
	if o.Base == "" {
		o.Base = "main"
	}
	if o.BranchPattern == "" {
		o.BranchPattern = DefaultBranchPattern
	}
	if o.Remote == "" {
		o.Remote = "origin"
	}
	return o
}

// openAt finds a release branch whose tip is HEAD, else one whose tip is the
// base commit: the release a previous run opened. With an explicit version
// only that version's branch counts.
func openAt(releases []Release, explicit *semver.Version, head, base plumbing.Hash) (Release, bool) {
	for _, want := range []plumbing.Hash{head, base} {
		for _, r := range releases { // highest version first
			if r.IsBranch() && r.Commit == want && (explicit == nil || r.Version.Equal(explicit)) {
				return r, true
			}
		}
	}
	return Release{}, false
}

// next computes the version after the latest release from bump and the
// commits made on base since that release.
func next(repo *Repository, releases []Release, bump string, base plumbing.Hash) (semver.Version, Reason, error) {
	if len(releases) == 0 {
		return Next(nil, bump, nil)
	}
	latest := releases[0]
	var msgs []string
	if bump == "" || bump == BumpAuto {
		var err error
		if msgs, err = repo.MessagesSince(base, latest.Commit); err != nil {
			return semver.Version{}, Reason{}, fmt.Errorf("reading commits since %s: %w", latest.Ref.Short(), err)
		}
	}
	return Next(latest.Version, bump, msgs)
}

// checkFree refuses a version that a branch or tag already names at a commit
// other than the base commit.
func checkFree(releases []Release, pattern BranchPattern, v *semver.Version, base plumbing.Hash, baseRef plumbing.ReferenceName) error {
	for _, r := range releases {
		if !r.Version.Equal(v) || r.Commit == base {
			continue
		}
		what := "release branch " + pattern.Name(v) + " already exists"
		if !r.IsBranch() {
			what = fmt.Sprintf("version %s is already tagged", v)
		}
		return outcome.Negativef("%s (%s) at commit %s, but the base %s is at commit %s; choose another version",
			what, r.Ref, short(r.Commit), baseRef.Short(), short(base))
	}
	return nil
}

// previous is the highest release below v.
func previous(releases []Release, v *semver.Version) *semver.Version {
	for _, r := range releases {
		if r.Version.LessThan(v) {
			return r.Version
		}
	}
	return nil
}

func hasRef(releases []Release, name plumbing.ReferenceName) bool {
	for _, r := range releases {
		if r.Ref == name {
			return true
		}
	}
	return false
}

func describe(commit, head plumbing.Hash) string {
	if commit == head {
		return "HEAD"
	}
	return "the base commit"
}
