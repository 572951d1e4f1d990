package main

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/outcome"
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

func TestWorkspaceError(t *testing.T) {
	denied := fmt.Errorf("creating branch release/0.1.0: %w", &fs.PathError{Op: "mkdir", Path: "/github/workspace/.git/refs/heads/release", Err: fs.ErrPermission})
	other := errors.New("reading tags: unexpected EOF")
	tests := []struct {
		name string
		err  error
		kind outcome.Kind
		says string
	}{
		{"permission denied is a setup error", denied, outcome.KindInvalid, "not writable by this process"},
		{"anything else is left alone", other, outcome.KindUnknown, "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := workspaceError(tt.err, "/github/workspace")
			if got := outcome.KindOf(err); got != tt.kind {
				t.Errorf("KindOf(workspaceError(%v)) = %v, want %v", tt.err, got, tt.kind)
			}
			if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("workspaceError(%v) = %v, want it to wrap the error and say %q", tt.err, err, tt.says)
			}
		})
	}
}
