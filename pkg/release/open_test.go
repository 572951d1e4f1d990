package release

import (
	"context"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

func TestOpenComputesVersion(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(r *testRepo)
		opts     Options
		want     string
		previous string
		decided  []string
	}{
		{
			name:  "first release",
			setup: func(r *testRepo) { r.commit("feat!: everything"); r.commit("initial") },
			want:  "0.1.0",
		},
		{
			name:  "first release, major",
			setup: func(r *testRepo) { r.commit("initial") },
			opts:  Options{Bump: "major"},
			want:  "1.0.0",
		},
		{
			name: "feat since the last tag",
			setup: func(r *testRepo) {
				r.tag("v1.2.3", r.commit("feat: old feature before the release"))
				r.commit("fix: a")
				r.commit("feat(api): b")
				r.commit("docs: c")
			},
			want: "1.3.0", previous: "1.2.3", decided: []string{"feat(api): b"},
		},
		{
			name: "only fixes since an annotated tag without v",
			setup: func(r *testRepo) {
				r.commit("feat: old")
				r.annotatedTag("1.2.3", r.commit("feat: at the release"))
				r.commit("fix: a")
				r.commit("chore: b")
			},
			want: "1.2.4", previous: "1.2.3", decided: []string{"fix: a"},
		},
		{
			name: "breaking footer",
			setup: func(r *testRepo) {
				r.tag("v1.2.3", r.commit("initial"))
				r.commit("refactor: config\n\nBREAKING CHANGE: key renamed")
			},
			want: "2.0.0", previous: "1.2.3", decided: []string{"refactor: config"},
		},
		{
			name: "nothing release-worthy bumps patch",
			setup: func(r *testRepo) {
				r.tag("v1.2.3", r.commit("initial"))
				r.commit("docs: a")
				r.commit("Update readme")
			},
			want: "1.2.4", previous: "1.2.3",
		},
		{
			name: "requested bump ignores commits",
			setup: func(r *testRepo) {
				r.tag("v1.2.3", r.commit("initial"))
				r.commit("feat!: a")
			},
			opts: Options{Bump: "minor"},
			want: "1.3.0", previous: "1.2.3",
		},
		{
			name: "the highest tag wins, not the newest",
			setup: func(r *testRepo) {
				r.tag("v2.0.0", r.commit("initial"))
				r.tag("v1.9.9", r.commit("fix: backport"))
				r.tag("not-a-version", r.commit("fix: x"))
			},
			opts: Options{Bump: "patch"},
			want: "2.0.1", previous: "2.0.0",
		},
		{
			name: "a release branch without a tag takes its number",
			setup: func(r *testRepo) {
				r.tag("v1.2.0", r.commit("initial"))
				r.branch("release/1.3.0", r.commit("feat: a"))
				r.commit("feat: b")
			},
			want: "1.4.0", previous: "1.3.0", decided: []string{"feat: b"},
		},
		{
			name: "a remote-tracking release branch takes its number",
			setup: func(r *testRepo) {
				r.tag("v1.2.0", r.commit("initial"))
				r.setRef(plumbing.NewRemoteReferenceName("origin", "release/2.0.0"), r.commit("feat!: a"))
				r.commit("fix: b")
			},
			want: "2.0.1", previous: "2.0.0", decided: []string{"fix: b"},
		},
		{
			name: "hotfixes on the release branch are not commits of main",
			setup: func(r *testRepo) {
				base := r.commit("initial")
				r.tag("v1.0.0", base)
				r.branch("release/1.0.0", base)
				r.checkout("release/1.0.0", plumbing.ZeroHash)
				r.commit("feat!: only on the release branch")
				r.checkout("main", plumbing.ZeroHash)
				r.commit("fix: on main")
			},
			want: "1.0.1", previous: "1.0.0", decided: []string{"fix: on main"},
		},
		{
			name: "commits merged from a side branch count",
			setup: func(r *testRepo) {
				base := r.commit("initial")
				r.tag("v1.0.0", base)
				r.branch("feature", base)
				r.checkout("feature", plumbing.ZeroHash)
				side := r.commit("feat(ui): from the side branch")
				r.checkout("main", plumbing.ZeroHash)
				r.commit("fix: on main")
				r.merge("Merge branch 'feature'", side)
			},
			want: "1.1.0", previous: "1.0.0", decided: []string{"feat(ui): from the side branch"},
		},
		{
			name: "prerelease series",
			setup: func(r *testRepo) {
				r.tag("v1.2.3", r.commit("initial"))
				r.branch("release/1.3.0-rc.1", r.commit("feat: a"))
				r.commit("fix: b")
			},
			opts: Options{Bump: "prerelease"},
			want: "1.3.0-rc.2", previous: "1.3.0-rc.1",
		},
		{
			name: "custom pattern and base",
			setup: func(r *testRepo) {
				r.tag("v0.3.0", r.commit("initial"))
				r.branch("rel-v0.4.0", r.commit("feat: a"))
				r.branch("release/9.9.9", r.commit("ignored: other pattern"))
				r.branch("develop", r.commit("perf: p"))
			},
			opts: Options{Base: "develop", BranchPattern: "rel-vX.Y.Z"},
			want: "0.4.1", previous: "0.4.0", decided: []string{"perf: p"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRepo(t)
			tt.setup(r)
			wantCommit, _ := r.ref(plumbing.NewBranchReferenceName(orDefault(tt.opts.Base, "main")))
			got, err := Open(context.Background(), r.open(), tt.opts)
			if err != nil {
				t.Fatalf("Open() error = %v", err)
			}
			if got.Version.String() != tt.want {
				t.Errorf("Open() version = %s, want %s (reason: %s)", got.Version, tt.want, got.Reason)
			}
			if prev := versionString(got.Previous); prev != tt.previous {
				t.Errorf("Open() previous = %q, want %q", prev, tt.previous)
			}
			if diff := cmp.Diff(tt.decided, got.Reason.Commits); diff != "" {
				t.Errorf("Open() deciding commits (-want +got):\n%s", diff)
			}
			if got.Commit != wantCommit || !got.Created {
				t.Errorf("Open() commit = %s created=%v, want %s created=true", got.Commit, got.Created, wantCommit)
			}
			pattern, _ := ParseBranchPattern(orDefault(tt.opts.BranchPattern, DefaultBranchPattern))
			if want := pattern.Name(got.Version); got.Branch != want {
				t.Errorf("Open() branch = %q, want %q", got.Branch, want)
			}
			if h, ok := r.ref(plumbing.NewBranchReferenceName(got.Branch)); !ok || h != wantCommit {
				t.Errorf("branch %s is at %s (exists=%v), want %s", got.Branch, h, ok, wantCommit)
			}
		})
	}
}

func TestOpenRerunIsUnchanged(t *testing.T) {
	r := newTestRepo(t)
	r.tag("v1.0.0", r.commit("initial"))
	tip := r.commit("feat: a")
	first, err := Open(context.Background(), r.open(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{{}, {Bump: "major"}, {Version: "1.1.0"}} {
		again, err := Open(context.Background(), r.open(), opts)
		if err != nil {
			t.Fatalf("Open(%+v) again: %v", opts, err)
		}
		if again.Version.String() != "1.1.0" || again.Commit != tip || again.Created || again.Reason.How != "existing" ||
			versionString(again.Previous) != "1.0.0" || again.Branch != first.Branch {
			t.Errorf("Open(%+v) again = %+v, want version 1.1.0 at %s unchanged", opts, again, tip)
		}
	}
}

func TestOpenOnReleaseBranchCheckout(t *testing.T) {
	r := newTestRepo(t)
	r.tag("v1.0.0", r.commit("initial"))
	rel := r.commit("feat: a")
	r.branch("release/1.1.0", rel)
	r.commit("feat: main moved on")
	r.checkout("release/1.1.0", plumbing.ZeroHash)
	got, err := Open(context.Background(), r.open(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version.String() != "1.1.0" || got.Commit != rel || got.Created {
		t.Errorf("Open() on the release branch = %s at %s created=%v, want 1.1.0 at %s unchanged", got.Version, got.Commit, got.Created, rel)
	}

	// Detached at the remote-tracking branch only: the same, and the local branch appears.
	r2 := newTestRepo(t)
	r2.tag("v1.0.0", r2.commit("initial"))
	rel2 := r2.commit("fix: a")
	r2.setRef(plumbing.NewRemoteReferenceName("origin", "release/1.0.1"), rel2)
	r2.commit("feat: b")
	r2.checkout("", rel2)
	got, err = Open(context.Background(), r2.open(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version.String() != "1.0.1" || got.Commit != rel2 || !got.Created {
		t.Errorf("Open() detached at origin/release/1.0.1 = %s at %s created=%v, want 1.0.1 at %s, local branch created", got.Version, got.Commit, got.Created, rel2)
	}
}

func TestOpenExplicitVersion(t *testing.T) {
	r := newTestRepo(t)
	old := r.commit("initial")
	r.tag("v1.0.0", old)
	r.branch("release/1.5.0", old)
	tip := r.commit("feat: a")
	r.branch("release/3.0.0", tip)
	r.commit("feat: b") // HEAD and base move past release/3.0.0
	tip, _ = r.ref(plumbing.NewBranchReferenceName("main"))

	got, err := Open(context.Background(), r.open(), Options{Version: "v2.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version.String() != "2.0.0" || versionString(got.Previous) != "1.5.0" || got.Reason.How != "explicit" || got.Commit != tip || !got.Created {
		t.Errorf("Open(version 2.0.0) = %+v, want 2.0.0 after 1.5.0 at %s", got, tip)
	}
	again, err := Open(context.Background(), r.open(), Options{Version: "2.0.0"})
	if err != nil || again.Created || again.Commit != tip {
		t.Errorf("Open(version 2.0.0) again = %+v, %v, want unchanged", again, err)
	}

	_, err = Open(context.Background(), r.open(), Options{Version: "1.5.0"})
	if outcome.KindOf(err) != outcome.KindNegative {
		t.Fatalf("Open(version 1.5.0) error = %v, want Negative", err)
	}
	for _, want := range []string{"release/1.5.0", short(old), short(tip)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open(version 1.5.0) error %q does not name %q", err, want)
		}
	}

	_, err = Open(context.Background(), r.open(), Options{Version: "1.0.0"})
	if outcome.KindOf(err) != outcome.KindNegative || !strings.Contains(err.Error(), "v1.0.0") {
		t.Errorf("Open(version 1.0.0, tagged elsewhere) error = %v, want Negative naming the tag", err)
	}
	if _, ok := r.ref(plumbing.NewBranchReferenceName("release/1.0.0")); ok {
		t.Error("a refused version still created its branch")
	}
}

func TestOpenInvalid(t *testing.T) {
	r := newTestRepo(t)
	r.commit("initial")
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"bad bump", Options{Bump: "huge"}, "major, minor, patch, prerelease, auto"},
		{"bad version", Options{Version: "1.2"}, `version "1.2"`},
		{"bump and version", Options{Bump: "minor", Version: "1.2.3"}, "give one"},
		{"pattern without placeholder", Options{BranchPattern: "release/next"}, "X.Y.Z"},
		{"missing base", Options{Base: "trunk"}, `base "trunk"`},
		{"unknown remote", Options{Push: true, Remote: "upstream"}, `remote "upstream"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(context.Background(), r.open(), tt.opts)
			if outcome.KindOf(err) != outcome.KindInvalid || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open(%+v) error = %v, want Invalid mentioning %q", tt.opts, err, tt.want)
			}
			if _, ok := r.ref(plumbing.NewBranchReferenceName("release/0.1.0")); ok {
				t.Errorf("Open(%+v) created release/0.1.0 before failing", tt.opts)
			}
		})
	}

	empty := newTestRepo(t)
	if _, err := Open(context.Background(), empty.open(), Options{}); outcome.KindOf(err) != outcome.KindInvalid {
		t.Errorf("Open(empty repository) error = %v, want Invalid", err)
	}
	if _, err := OpenRepository(t.TempDir()); outcome.KindOf(err) != outcome.KindInvalid {
		t.Errorf("OpenRepository(not a repository) error = %v, want Invalid", err)
	}
}

func TestOpenBaseFromRemoteTrackingBranch(t *testing.T) {
	r := newTestRepo(t)
	r.tag("v1.0.0", r.commit("initial"))
	tip := r.commit("fix: a")
	r.setRef(plumbing.NewRemoteReferenceName("origin", "trunk"), tip)
	r.commit("feat: local only")
	got, err := Open(context.Background(), r.open(), Options{Base: "trunk"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Version.String() != "1.0.1" || got.Commit != tip {
		t.Errorf("Open(base trunk) = %s at %s, want 1.0.1 at origin/trunk %s", got.Version, got.Commit, tip)
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func versionString(v *semver.Version) string {
	if v == nil {
		return ""
	}
	return v.String()
}
