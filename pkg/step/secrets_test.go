package step

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const pemSecret = "-----BEGIN KEY-----\nMIIBVwIBADANBgkqhkiG9w0BAQEFAASCAUEwggE9\nAgEAAkEAq7BFUpkGp3+LQmlQYwIDAQABAkEAqXDA\n-----END KEY-----"

// leakyRun logs, annotates, summarises and fails with the secret in every way
// a careless step could.
func leakyRun(secret string) RunFunc {
	return func(_ context.Context, s *Session) error {
		line := strings.Split(secret, "\n")[1]
		s.Log().Info("using token "+secret, "token", secret, "line", line,
			"err", errors.New("auth failed for "+secret),
			slog.Group("auth", "password", secret))
		s.Log().With("token", secret).WithGroup("g").Warn("warn", "t", secret)
		s.Warning("warning " + secret)
		s.Errorf("error %s", line)
		s.Summary("summary " + secret)
		end := s.Group("group " + line)
		end()
		s.Progress("progress " + line)
		s.SetOutput("plan-ref", "ref-"+line) // refused
		return fmt.Errorf("calling registry with %s", secret)
	}
}

func TestSecretsNeverLeak(t *testing.T) {
	secretLines := strings.Split(pemSecret, "\n")[1:3]
	for _, format := range []string{"text", "json"} {
		for _, ci := range []string{"github", "local", "tekton", "gitlab"} {
			t.Run(format+"/"+ci, func(t *testing.T) {
				dir := t.TempDir()
				env := []string{
					"INPUT_TOKEN=" + pemSecret,
					"GITHUB_OUTPUT=" + filepath.Join(dir, "output"),
					"GITHUB_STEP_SUMMARY=" + filepath.Join(dir, "summary"),
				}
				args := []string{"--plan=p", "--ci=" + ci, "--log-format=" + format,
					"--results-dir=" + filepath.Join(dir, "results"), "--dotenv=" + filepath.Join(dir, "env"),
					"--summary-file=" + filepath.Join(dir, "summary")}
				r := runStep(t, testDef, args, env, leakyRun(pemSecret))
				if r.code != ExitExternal {
					t.Errorf("Run = %d, want %d", r.code, ExitExternal)
				}
				if !strings.Contains(r.stderr, "refused to put a secret value into output") {
					t.Errorf("stderr lacks the refused output:\n%s", r.stderr)
				}
				texts := map[string]string{"stderr": r.stderr, "stdout": r.stdout}
				files, _ := filepath.Glob(filepath.Join(dir, "*"))
				for _, f := range files {
					if b, err := os.ReadFile(f); err == nil {
						texts[filepath.Base(f)] = string(b)
					}
				}
				for where, text := range texts {
					// On GitHub the runner must see the value to mask it.
					text = stripMasks(text)
					for _, s := range secretLines {
						if strings.Contains(text, s) {
							t.Errorf("%s holds secret line %q:\n%s", where, s, text)
						}
					}
				}
				if !strings.Contains(r.stderr, redacted) {
					t.Errorf("stderr shows no %s, so nothing was redacted:\n%s", redacted, r.stderr)
				}
			})
		}
	}
}

func stripMasks(text string) string {
	var keep []string
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

func TestGitHubMasksEachLine(t *testing.T) {
	env, _, _ := gitHubEnv(t)
	env = append(env, "INPUT_TOKEN="+pemSecret)
	r := runStep(t, testDef, []string{"--plan=p"}, env, nil)
	if r.code != 0 {
		t.Fatalf("Run = %d; stderr:\n%s", r.code, r.stderr)
	}
	masks := map[string]bool{}
	for _, line := range strings.Split(r.stdout, "\n") {
		if m, ok := strings.CutPrefix(line, "::add-mask::"); ok {
			masks[m] = true
		}
	}
	want := []string{
		strings.ReplaceAll(pemSecret, "\n", "%0A"), // the whole value, escaped
		"-----BEGIN KEY-----",
		"MIIBVwIBADANBgkqhkiG9w0BAQEFAASCAUEwggE9",
		"AgEAAkEAq7BFUpkGp3+LQmlQYwIDAQABAkEAqXDA",
		"-----END KEY-----",
	}
	for _, w := range want {
		if !masks[w] {
			t.Errorf("no ::add-mask:: for %q; stdout:\n%s", w, r.stdout)
		}
	}
	if !strings.HasPrefix(r.stdout, "::add-mask::") {
		t.Errorf("masks are not the first thing written:\n%s", r.stdout)
	}
}

func TestRedact(t *testing.T) {
	sec := newSecrets([]Input{{Name: "a", Secret: true}, {Name: "b", Secret: true}, {Name: "c"}, {Name: "d", Secret: true}},
		map[string]value{"a": {raw: "abc"}, "b": {raw: "abcdef"}, "c": {raw: "public"}, "d": {raw: " "}})
	tests := []struct{ in, want string }{
		{"abcdef", "***"},
		{"x abc y", "x *** y"},
		{"public", "public"},
		{"a b c", "a b c"},
	}
	for _, tt := range tests {
		if got := sec.redact(tt.in); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if sec.contains(" ") {
		t.Error("a blank secret is redacted")
	}
}
