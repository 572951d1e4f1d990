package release

import (
	"container/heap"
	"fmt"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// MessagesSince returns the messages of the commits reachable from head but
// not from since (all of head's history when since is zero), newest first:
// what `git log since..head` lists. In a shallow clone the walk stops at the
// shallow boundary.
//
// Like git, it walks both sides newest first by committer date and stops a few
// commits (walkSlop) after everything left to visit is reachable from since,
// so its cost follows the number of commits since the release, not the length
// of the history. Committer dates that go backwards across the boundary by
// more than that can let an old commit through, as with git.
func (r *Repository) MessagesSince(head, since plumbing.Hash) ([]string, error) {
	shallow, err := r.shallowSet()
	if err != nil {
		return nil, err
	}
	w := &walker{r: r, shallow: shallow, flags: map[plumbing.Hash]uint8{}}
	if err := w.add(head, fromHead); err != nil {
		return nil, err
	}
	if !since.IsZero() {
		if err := w.add(since, fromSince); err != nil {
			return nil, err
		}
	}
	slop := walkSlop
	for w.queue.Len() > 0 {
		if w.interesting() {
			slop = walkSlop
		} else if slop--; slop < 0 {
			break
		}
		c := heap.Pop(&w.queue).(queued).Commit
		f := w.flags[c.Hash]
		if f&done != 0 {
			continue
		}
		w.flags[c.Hash] |= done
		side := fromHead
		if f&fromSince != 0 {
			side = fromSince
		} else {
			w.found = append(w.found, c)
		}
		if w.shallow[c.Hash] {
			continue
		}
		for _, p := range c.ParentHashes {
			if err := w.add(p, side); err != nil {
				return nil, err
			}
		}
	}
	var msgs []string
	slices.SortStableFunc(w.found, func(a, b *object.Commit) int { return b.Committer.When.Compare(a.Committer.When) })
	for _, c := range w.found {
		if w.flags[c.Hash]&fromSince == 0 { // reached from since after it was listed
			msgs = append(msgs, c.Message)
		}
	}
	return msgs, nil
}

// walkSlop is how many commits reachable from since the walk still visits
// after nothing else is left, to catch dates that go backwards (git uses 5).
const walkSlop = 5

const (
	fromHead uint8 = 1 << iota
	fromSince
	done
)

type walker struct {
	r       *Repository
	shallow map[plumbing.Hash]bool
	flags   map[plumbing.Hash]uint8
	queue   byDate
	pushed  int // commits queued so far, to order equal dates
	found   []*object.Commit
}

// add marks h as reached from side and queues it unless it already was
// reached that way (or from since, which wins).
func (w *walker) add(h plumbing.Hash, side uint8) error {
	f := w.flags[h]
	if f&side != 0 || f&fromSince != 0 {
		return nil
	}
	w.flags[h] = f | side
	if f&done != 0 && side == fromSince {
		// Listed as new already: clear done so it is walked again as old,
		// passing the mark on to its parents.
		w.flags[h] &^= done
	}
	c, err := w.r.repo.CommitObject(h)
	if err != nil {
		return fmt.Errorf("reading commit %s: %w", h, err)
	}
	w.pushed++
	heap.Push(&w.queue, queued{c, w.pushed})
	return nil
}

// interesting reports whether any queued commit is still reached from head
// only: until none is, the walk has commits to list.
func (w *walker) interesting() bool {
	for _, q := range w.queue {
		if w.flags[q.Hash]&(fromSince|done) == 0 {
			return true
		}
	}
	return false
}

type queued struct {
	*object.Commit
	seq int
}

// byDate is a heap of commits, newest committer date first; among equal
// dates (commits made within a second) the first queued, which is the
// closer to head or since.
type byDate []queued

func (q byDate) Len() int { return len(q) }
func (q byDate) Less(i, j int) bool {
	if a, b := q[i].Committer.When, q[j].Committer.When; !a.Equal(b) {
		return a.After(b)
	}
	return q[i].seq < q[j].seq
}
func (q byDate) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *byDate) Push(x any)   { *q = append(*q, x.(queued)) }
func (q *byDate) Pop() any {
	old := *q
	c := old[len(old)-1]
	*q = old[:len(old)-1]
	return c
}
