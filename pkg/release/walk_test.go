package release

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/google/go-cmp/cmp"
)

// history stores commits in memory by name, with explicit committer minutes,
// so tests control dates, including dates that go backwards.
type history struct {
	t      testing.TB
	repo   *git.Repository
	hashes map[string]plumbing.Hash
}

func newHistory(t testing.TB) *history {
	repo, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return &history{t: t, repo: repo, hashes: map[string]plumbing.Hash{}}
}

func (h *history) add(name string, minute int, parents ...string) plumbing.Hash {
	h.t.Helper()
	st := h.repo.Storer
	tree := &object.Tree{}
	to := st.NewEncodedObject()
	if err := tree.Encode(to); err != nil {
		h.t.Fatal(err)
	}
	treeHash, err := st.SetEncodedObject(to)
	if err != nil {
		h.t.Fatal(err)
	}
	sig := object.Signature{Name: "T", Email: "t@example.com", When: epoch.Add(time.Duration(minute) * time.Minute)}
	c := &object.Commit{Author: sig, Committer: sig, Message: name, TreeHash: treeHash}
	for _, p := range parents {
		c.ParentHashes = append(c.ParentHashes, h.hashes[p])
	}
	o := st.NewEncodedObject()
	if err := c.Encode(o); err != nil {
		h.t.Fatal(err)
	}
	if h.hashes[name], err = st.SetEncodedObject(o); err != nil {
		h.t.Fatal(err)
	}
	return h.hashes[name]
}

func TestMessagesSince(t *testing.T) {
	tests := []struct {
		name        string
		build       func(h *history)
		head, since string // since empty: the whole history
		shallow     []string
		want        []string
	}{
		{
			name: "linear, whole history, newest first",
			build: func(h *history) {
				h.add("A", 1)
				h.add("B", 2, "A")
				h.add("C", 3, "B")
			},
			head: "C", want: []string{"C", "B", "A"},
		},
		{
			name: "commits within the same second keep history order",
			build: func(h *history) {
				h.add("A", 0)
				h.add("B", 0, "A")
				h.add("C", 0, "B")
				h.add("D", 0, "C")
			},
			head: "D", since: "A", want: []string{"D", "C", "B"},
		},
		{
			name: "linear since a release",
			build: func(h *history) {
				h.add("A", 1)
				h.add("B", 2, "A")
				h.add("C", 3, "B")
				h.add("D", 4, "C")
			},
			head: "D", since: "B", want: []string{"D", "C"},
		},
		{
			name: "side branch forked before the release and merged after",
			build: func(h *history) {
				h.add("A", 1)
				h.add("D", 2, "A") // side branch
				h.add("B", 3, "A") // release
				h.add("C", 4, "B")
				h.add("M", 5, "C", "D")
			},
			head: "M", since: "B", want: []string{"M", "C", "D"},
		},
		{
			name: "release branch with hotfixes ahead of the fork point",
			build: func(h *history) {
				h.add("A", 1)
				h.add("B", 2, "A")
				h.add("H1", 3, "B") // on the release branch only
				h.add("C", 4, "B")  // main
			},
			head: "C", since: "H1", want: []string{"C"},
		},
		{
			name: "release ahead of head",
			build: func(h *history) {
				h.add("A", 1)
				h.add("B", 2, "A")
			},
			head: "A", since: "B", want: nil,
		},
		{
			name: "head is the release",
			build: func(h *history) {
				h.add("A", 1)
			},
			head: "A", since: "A", want: nil,
		},
		{
			name: "a date going backwards across the boundary",
			build: func(h *history) {
				h.add("A0", 49)
				h.add("A", 50, "A0") // older than its child in history, newer by date
				h.add("B", 2, "A")
				h.add("M", 60, "B", "A")
			},
			head: "M", since: "B", want: []string{"M"},
		},
		{
			name: "shallow clone stops at the boundary",
			build: func(h *history) {
				h.add("A", 1)
				h.add("B", 2, "A")
				h.add("C", 3, "B")
			},
			head: "C", shallow: []string{"B"}, want: []string{"C", "B"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHistory(t)
			tt.build(h)
			var shallow []plumbing.Hash
			for _, s := range tt.shallow {
				shallow = append(shallow, h.hashes[s])
			}
			if err := h.repo.Storer.SetShallow(shallow); err != nil {
				t.Fatal(err)
			}
			r := &Repository{repo: h.repo}
			got, err := r.MessagesSince(h.hashes[tt.head], h.hashes[tt.since])
			if err != nil {
				t.Fatalf("MessagesSince(%s, %q) error = %v", tt.head, tt.since, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("MessagesSince(%s, %q) (-want +got):\n%s", tt.head, tt.since, diff)
			}
			if r.Shallow() != (len(tt.shallow) > 0) {
				t.Errorf("Shallow() = %v, want %v", r.Shallow(), len(tt.shallow) > 0)
			}
		})
	}
}

// TestMessagesSinceRandomHistories compares the date-ordered walk with plain
// set arithmetic on reachability, over random merge-heavy histories whose
// dates grow with history (as committer dates do).
func TestMessagesSinceRandomHistories(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		h := newHistory(t)
		var names []string
		parents := map[string][]string{}
		for i := range 60 {
			name := fmt.Sprintf("c%d", i)
			var ps []string
			if i > 0 {
				ps = append(ps, names[max(0, i-1-rng.IntN(4))])
				if i > 2 && rng.IntN(3) == 0 {
					if p := names[rng.IntN(i)]; p != ps[0] {
						ps = append(ps, p)
					}
				}
			}
			h.add(name, i, ps...)
			names, parents[name] = append(names, name), ps
		}
		reach := func(from string) map[string]bool {
			seen := map[string]bool{}
			stack := []string{from}
			for len(stack) > 0 {
				n := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if !seen[n] {
					seen[n] = true
					stack = append(stack, parents[n]...)
				}
			}
			return seen
		}
		r := &Repository{repo: h.repo}
		for range 10 {
			head, since := names[rng.IntN(len(names))], names[rng.IntN(len(names))]
			inHead, inSince := reach(head), reach(since)
			var want []string
			for i := len(names) - 1; i >= 0; i-- {
				if n := names[i]; inHead[n] && !inSince[n] {
					want = append(want, n)
				}
			}
			got, err := r.MessagesSince(h.hashes[head], h.hashes[since])
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("round %d: MessagesSince(%s, %s) (-want +got):\n%s", round, head, since, diff)
			}
		}
	}
}
