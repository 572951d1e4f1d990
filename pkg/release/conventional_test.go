package release

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCommit(t *testing.T) {
	tests := []struct {
		name   string
		msg    string
		want   Commit
		wantOK bool
		level  Level
	}{
		{"feat", "feat: add login", Commit{Type: "feat", Subject: "add login", Header: "feat: add login"}, true, LevelMinor},
		{"fix with scope", "fix(api): nil check\n\nbody text\n", Commit{Type: "fix", Scope: "api", Subject: "nil check", Header: "fix(api): nil check"}, true, LevelPatch},
		{"perf", "perf: faster walk", Commit{Type: "perf", Subject: "faster walk", Header: "perf: faster walk"}, true, LevelPatch},
		{"bang", "feat!: drop v1 API", Commit{Type: "feat", Breaking: true, Subject: "drop v1 API", Header: "feat!: drop v1 API"}, true, LevelMajor},
		{"scope and bang", "refactor(core)!: rename Plan", Commit{Type: "refactor", Scope: "core", Breaking: true, Subject: "rename Plan", Header: "refactor(core)!: rename Plan"}, true, LevelMajor},
		{"empty scope", "fix(): x", Commit{Type: "fix", Subject: "x", Header: "fix(): x"}, true, LevelPatch},
		{"upper-case type", "FEAT: shout", Commit{Type: "feat", Subject: "shout", Header: "FEAT: shout"}, true, LevelMinor},
		{"hyphenated type", "build-deps: bump x", Commit{Type: "build-deps", Subject: "bump x", Header: "build-deps: bump x"}, true, LevelNone},
		{"breaking footer", "fix: y\n\nexplain\n\nBREAKING CHANGE: config key renamed\n", Commit{Type: "fix", Breaking: true, Subject: "y", Header: "fix: y"}, true, LevelMajor},
		{"breaking-change footer", "chore: z\n\nBREAKING-CHANGE: gone", Commit{Type: "chore", Breaking: true, Subject: "z", Header: "chore: z"}, true, LevelMajor},
		{"lower-case footer is not breaking", "fix: y\n\nbreaking change: maybe", Commit{Type: "fix", Subject: "y", Header: "fix: y"}, true, LevelPatch},
		{"indented footer is not a footer", "fix: y\n\n  BREAKING CHANGE: quoted", Commit{Type: "fix", Subject: "y", Header: "fix: y"}, true, LevelPatch},
		{"crlf and leading blank lines", "\n\r\nfeat(ui): dark mode\r\n\r\nBREAKING CHANGE: theme\r\n", Commit{Type: "feat", Scope: "ui", Breaking: true, Subject: "dark mode", Header: "feat(ui): dark mode"}, true, LevelMajor},
		{"docs", "docs: readme", Commit{Type: "docs", Subject: "readme", Header: "docs: readme"}, true, LevelNone},
		{"merge branch", "Merge branch 'feature/x' into main", Commit{}, false, LevelNone},
		{"merge pull request", "Merge pull request #12 from org/feat-login\n\nfeat: add login", Commit{}, false, LevelNone},
		{"revert", "Revert \"feat: add login\"\n\nThis reverts commit abc.", Commit{}, false, LevelNone},
		{"fixup", "fixup! feat: add login", Commit{}, false, LevelNone},
		{"free form", "Add login page", Commit{}, false, LevelNone},
		{"no space after colon", "feat:add", Commit{}, false, LevelNone},
		{"empty description", "feat: ", Commit{}, false, LevelNone},
		{"bang before scope", "feat!(api): x", Commit{}, false, LevelNone},
		{"nested parentheses", "fix(a(b)): x", Commit{}, false, LevelNone},
		{"footer without conventional header", "Update API\n\nBREAKING CHANGE: removed", Commit{}, false, LevelNone},
		{"empty", "", Commit{}, false, LevelNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseCommit(tt.msg)
			if ok != tt.wantOK {
				t.Fatalf("ParseCommit(%q) ok = %v, want %v", tt.msg, ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseCommit(%q) mismatch (-want +got):\n%s", tt.msg, diff)
			}
			if l := got.Level(); ok && l != tt.level {
				t.Errorf("ParseCommit(%q).Level() = %v, want %v", tt.msg, l, tt.level)
			}
		})
	}
}
