package release

import (
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

func v(s string) *semver.Version { return semver.MustParse(s) }

func TestNext(t *testing.T) {
	tests := []struct {
		name    string
		latest  string // empty: no release yet
		bump    string
		commits []string
		want    string
		how     string
		auto    bool
		decided []string
	}{
		{name: "first release", bump: "", want: "0.1.0", how: "first", auto: true},
		{name: "first release ignores breaking commits", bump: "auto", commits: []string{"feat!: x"}, want: "0.1.0", how: "first", auto: true},
		{name: "first release minor", bump: "minor", want: "0.1.0", how: "first"},
		{name: "first release major", bump: "major", want: "1.0.0", how: "first"},
		{name: "first release prerelease", bump: "prerelease", want: "0.1.0-rc.1", how: "first"},

		{name: "major", latest: "1.2.3", bump: "major", want: "2.0.0", how: "major"},
		{name: "minor", latest: "1.2.3", bump: "minor", want: "1.3.0", how: "minor"},
		{name: "patch", latest: "1.2.3", bump: "patch", want: "1.2.4", how: "patch"},
		{name: "explicit bump ignores commits", latest: "1.2.3", bump: "patch", commits: []string{"feat!: x"}, want: "1.2.4", how: "patch"},
		{name: "major from 0.x", latest: "0.4.1", bump: "major", want: "1.0.0", how: "major"},
		{name: "metadata dropped", latest: "1.2.3+build.7", bump: "patch", want: "1.2.4", how: "patch"},

		{name: "prerelease continues", latest: "1.3.0-rc.1", bump: "prerelease", want: "1.3.0-rc.2", how: "prerelease"},
		{name: "prerelease past 9", latest: "1.3.0-rc.9", bump: "prerelease", want: "1.3.0-rc.10", how: "prerelease"},
		{name: "prerelease from final", latest: "1.2.3", bump: "prerelease", want: "1.2.4-rc.1", how: "prerelease"},
		{name: "prerelease without number", latest: "1.3.0-beta", bump: "prerelease", want: "1.3.0-beta.1", how: "prerelease"},
		{name: "prerelease numeric only", latest: "1.3.0-0", bump: "prerelease", want: "1.3.0-1", how: "prerelease"},
		{name: "patch finishes prerelease", latest: "1.3.0-rc.2", bump: "patch", want: "1.3.0", how: "patch"},
		{name: "minor finishes x.y.0 prerelease", latest: "1.3.0-rc.2", bump: "minor", want: "1.3.0", how: "minor"},
		{name: "minor past x.y.z prerelease", latest: "1.3.1-rc.1", bump: "minor", want: "1.4.0", how: "minor"},
		{name: "major finishes x.0.0 prerelease", latest: "2.0.0-rc.1", bump: "major", want: "2.0.0", how: "major"},
		{name: "major past x.y.0 prerelease", latest: "1.3.0-rc.1", bump: "major", want: "2.0.0", how: "major"},

		{name: "auto feat", latest: "1.2.3", commits: []string{"docs: x", "feat(api): add y", "fix: z"},
			want: "1.3.0", how: "minor", auto: true, decided: []string{"feat(api): add y"}},
		{name: "auto fix and perf", latest: "1.2.3", bump: "auto", commits: []string{"fix: a", "chore: b", "perf: c"},
			want: "1.2.4", how: "patch", auto: true, decided: []string{"fix: a", "perf: c"}},
		{name: "auto bang", latest: "1.2.3", commits: []string{"feat: a", "fix(core)!: b", "feat!: c"},
			want: "2.0.0", how: "major", auto: true, decided: []string{"fix(core)!: b", "feat!: c"}},
		{name: "auto breaking footer", latest: "1.2.3", commits: []string{"feat: a", "refactor: b\n\nBREAKING CHANGE: c"},
			want: "2.0.0", how: "major", auto: true, decided: []string{"refactor: b"}},
		{name: "auto nothing worth a release", latest: "1.2.3", commits: []string{"docs: a", "Merge branch 'x'", "chore: b"},
			want: "1.2.4", how: "patch", auto: true},
		{name: "auto no commits", latest: "1.2.3", want: "1.2.4", how: "patch", auto: true},
		{name: "auto finishes prerelease", latest: "1.3.0-rc.1", commits: []string{"fix: a"},
			want: "1.3.0", how: "patch", auto: true, decided: []string{"fix: a"}},
		{name: "auto merge commits ignored", latest: "1.2.3", commits: []string{"Merge pull request #1 from a/b\n\nfeat: x", "fix: y"},
			want: "1.2.4", how: "patch", auto: true, decided: []string{"fix: y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var latest *semver.Version
			if tt.latest != "" {
				latest = v(tt.latest)
			}
			got, reason, err := Next(latest, tt.bump, tt.commits)
			if err != nil {
				t.Fatalf("Next(%s, %q, ...) error = %v", tt.latest, tt.bump, err)
			}
			if got.String() != tt.want {
				t.Errorf("Next(%s, %q, ...) = %s, want %s", tt.latest, tt.bump, got, tt.want)
			}
			if reason.How != tt.how || reason.Auto != tt.auto {
				t.Errorf("Next(%s, %q, ...) reason = %q auto=%v, want %q auto=%v", tt.latest, tt.bump, reason.How, reason.Auto, tt.how, tt.auto)
			}
			if diff := cmp.Diff(tt.decided, reason.Commits); diff != "" {
				t.Errorf("Next(%s, %q, ...) deciding commits (-want +got):\n%s", tt.latest, tt.bump, diff)
			}
			if reason.Text == "" {
				t.Errorf("Next(%s, %q, ...) reason has no text", tt.latest, tt.bump)
			}
		})
	}
}

func TestNextBadBump(t *testing.T) {
	for _, bump := range []string{"Minor", "bugfix", " patch", "rc"} {
		_, _, err := Next(v("1.0.0"), bump, nil)
		if outcome.KindOf(err) != outcome.KindInvalid {
			t.Fatalf("Next(1.0.0, %q) error = %v, want an Invalid error", bump, err)
		}
		for _, w := range BumpWords {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Next(1.0.0, %q) error %q does not list %q", bump, err, w)
			}
		}
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"1.2.3", "1.2.3"},
		{"v1.2.3", "1.2.3"},
		{"1.3.0-rc.1", "1.3.0-rc.1"},
		{"2.0.0+build.5", "2.0.0+build.5"},
	}
	for _, tt := range tests {
		got, err := ParseVersion(tt.in)
		if err != nil || got.String() != tt.want {
			t.Errorf("ParseVersion(%q) = %v, %v, want %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"1.2", "latest", "1.2.3.4", "01.2.3", "vv1.2.3", "1.2.3-", ""} {
		if _, err := ParseVersion(bad); outcome.KindOf(err) != outcome.KindInvalid {
			t.Errorf("ParseVersion(%q) error = %v, want an Invalid error", bad, err)
		}
	}
}
