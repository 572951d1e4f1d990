package release

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// Releases lists the releases the remote has, highest version first: its
// tags naming versions and its branches matching p. Commit is the hash the
// remote advertises (an annotated tag's object, not peeled). An empty
// remote has none; failing to talk to it is outcome.External.
func (rm *Remote) Releases(ctx context.Context, p BranchPattern) ([]Release, error) {
	refs, err := rm.remote.ListContext(ctx, &git.ListOptions{Auth: rm.auth, CABundle: rm.ca})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return nil, nil
	}
	if err != nil {
		return nil, remoteError(fmt.Sprintf("listing the releases of %s", rm.shown), err)
	}
	var out []Release
	for _, ref := range refs {
		name := ref.Name()
		if ref.Type() != plumbing.HashReference {
			continue
		}
		switch {
		case name.IsTag():
			if v, ok := TagVersion(name.Short()); ok {
				out = append(out, Release{Version: v, Ref: name, Commit: ref.Hash()})
			}
		case name.IsBranch():
			if v, ok := p.Version(name.Short()); ok {
				out = append(out, Release{Version: v, Ref: name, Commit: ref.Hash()})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Release) int {
		if c := b.Version.Compare(a.Version); c != 0 {
			return c
		}
		return strings.Compare(a.Ref.String(), b.Ref.String())
	})
	return out, nil
}

// notBelowRemote refuses to push res when the remote already has a higher
// release, unless the remote already has res's branch (nothing new is
// pushed then; Push checks its commit). When the clone does not know that
// release at all, it lacks the remote's tags: outcome.Invalid, saying how
// to fetch them. An explicit version below it is outcome.Negative.
func notBelowRemote(remote, local []Release, res *Result, explicit bool, shown string, shallow bool) error {
	branch := plumbing.NewBranchReferenceName(res.Branch)
	if slices.ContainsFunc(remote, func(r Release) bool { return r.Ref == branch }) {
		return nil
	}
	if len(remote) == 0 || !remote[0].Version.GreaterThan(res.Version) {
		return nil
	}
	top := remote[0]
	known := slices.ContainsFunc(local, func(r Release) bool { return r.Version.Equal(top.Version) })
	if !known && !explicit {
		clone := "this clone lacks it"
		if shallow {
			clone = "this shallow clone lacks it"
		}
		return outcome.Invalidf("%s has release %s (%s), higher than %s computed here, but %s: the clone has not fetched the remote's tags "+
			"(actions/checkout fetches one commit and no tags by default); fetch tags: fetch-depth: 0 (or git fetch --tags) and run again; "+
			"to release an older line on purpose give allow-older-version",
			shown, top.Version, top.Ref, res.Version, clone)
	}
	return outcome.Negativef("version %s is lower than release %s (%s) that %s already has: refusing to push it; to release an older line on purpose give allow-older-version",
		res.Version, top.Version, top.Ref, shown)
}
