package release

import (
	"fmt"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// linearHistory stores n commits on main and tags every hundredth vX.Y.0.
func linearHistory(b *testing.B, n int) (*Repository, []plumbing.Hash) {
	b.Helper()
	h := newHistory(b)
	hashes := make([]plumbing.Hash, 0, n)
	var parents []string
	for i := range n {
		name := fmt.Sprintf("chore: tidy %d", i)
		if i%7 == 0 {
			name = fmt.Sprintf("fix: thing %d", i)
		}
		c := h.add(name, i, parents...)
		if i%100 == 0 {
			tag := plumbing.NewHashReference(plumbing.NewTagReferenceName(fmt.Sprintf("v1.%d.0", i/100)), c)
			if err := h.repo.Storer.SetReference(tag); err != nil {
				b.Fatal(err)
			}
		}
		hashes, parents = append(hashes, c), []string{name}
	}
	return &Repository{repo: h.repo}, hashes
}

// BenchmarkMessagesSince walks a 10,000-commit history whose latest release
// is 50 commits behind the head: the cost of reading "commits since".
func BenchmarkMessagesSince(b *testing.B) {
	r, hashes := linearHistory(b, 10_000)
	head, since := hashes[len(hashes)-1], hashes[len(hashes)-51]
	b.ResetTimer()
	for b.Loop() {
		msgs, err := r.MessagesSince(head, since)
		if err != nil || len(msgs) != 50 {
			b.Fatalf("MessagesSince = %d messages, %v; want 50", len(msgs), err)
		}
	}
}

// BenchmarkReleases lists 100 tags in the same history.
func BenchmarkReleases(b *testing.B) {
	r, _ := linearHistory(b, 10_000)
	p, _ := ParseBranchPattern(DefaultBranchPattern)
	b.ResetTimer()
	for b.Loop() {
		rels, err := r.Releases(p)
		if err != nil || len(rels) != 100 {
			b.Fatalf("Releases = %d, %v; want 100", len(rels), err)
		}
	}
}
