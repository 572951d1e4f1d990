package main

import (
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/release"
)

func TestSummary(t *testing.T) {
	commit := plumbing.NewHash("0123456789abcdef0123456789abcdef01234567")
	res := &release.Result{
		Version:  semver.MustParse("1.3.0"),
		Previous: semver.MustParse("1.2.3"),
		Branch:   "release/1.3.0",
		Commit:   commit,
		Reason: release.Reason{How: "minor", Auto: true, Text: "minor from 6 commits since 1.2.3",
			Commits: []string{"feat: a | b", "feat: `c`", "feat: d", "feat: e", "feat: f", "feat: g"}},
		Created: true,
		Pushed:  true,
	}
	got := summary(res, release.Options{Push: true, Remote: "https://u:tok@example.com/r.git"})
	want := "### Release 1.3.0\n\n" +
		"| | |\n| --- | --- |\n" +
		"| version | 1.2.3 → **1.3.0** |\n" +
		"| why | minor from 6 commits since 1.2.3: `feat: a \\| b`, `` feat: `c` ``, `feat: d`, `feat: e`, `feat: f` and 1 more |\n" +
		"| branch | `release/1.3.0` (created, pushed to `https://u:xxxxx@example.com/r.git`) |\n" +
		"| commit | `0123456789abcdef0123456789abcdef01234567` |\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary() (-want +got):\n%s", diff)
	}

	first := &release.Result{Version: semver.MustParse("0.1.0"), Branch: "release/0.1.0", Commit: commit,
		Reason: release.Reason{How: "first", Text: "first release"}}
	got = summary(first, release.Options{Push: true, Remote: "origin"})
	want = "### Release 0.1.0\n\n" +
		"| | |\n| --- | --- |\n" +
		"| version | none → **0.1.0** |\n" +
		"| why | first release |\n" +
		"| branch | `release/0.1.0` (already there, already on `origin`) |\n" +
		"| commit | `0123456789abcdef0123456789abcdef01234567` |\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary(first) (-want +got):\n%s", diff)
	}
}
