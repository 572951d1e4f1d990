package step

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// setOutputs is a run that sets plan-ref and weight.
func setOutputs(planRef, weight string) RunFunc {
	return func(_ context.Context, s *Session) error {
		s.SetOutput("plan-ref", planRef)
		s.SetOutput("weight", weight)
		return nil
	}
}

func gitHubEnv(t *testing.T) (env []string, output, summary string) {
	dir := t.TempDir()
	output, summary = filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	return []string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + output, "GITHUB_STEP_SUMMARY=" + summary}, output, summary
}

func TestGitHubOutputs(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"plain", "reg/app@sha256:abc"},
		{"multi-line", "line one\nline two\n"},
		{"injection", "x\nother=evil\nweight<<EOF\nevil\nEOF"},
		{"fake delimiter", "x\nghadelimiter_00000000000000000000000000000000\nother=evil"},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, output, _ := gitHubEnv(t)
			r := runStep(t, testDef, []string{"--plan=p"}, env, setOutputs(tt.value, "10"))
			if r.code != 0 {
				t.Fatalf("Run = %d; stderr:\n%s", r.code, r.stderr)
			}
			got := parseGitHubOutput(t, output)
			want := map[string]string{"plan-ref": tt.value, "weight": "10"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("GITHUB_OUTPUT mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGitHubRefusesDelimiterInValue(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "output")
	g := &githubSink{outputFile: out, delimiter: func() string { return "ghadelimiter_fixed" }}
	err := g.write([]outputValue{{"a", "ok"}, {"b", "x\nghadelimiter_fixed\nc=evil"}})
	if err == nil || !strings.Contains(err.Error(), `output "b" contains the delimiter`) {
		t.Errorf("write() error = %v, want a refusal naming output b", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("GITHUB_OUTPUT exists after a refused write (stat error %v); want nothing written", err)
	}
}

func TestGitHubDelimiterIsRandom(t *testing.T) {
	a, b := randomDelimiter(), randomDelimiter()
	if a == b || !strings.HasPrefix(a, "ghadelimiter_") || len(a) != len("ghadelimiter_")+32 {
		t.Errorf("randomDelimiter() = %q, %q; want two different ghadelimiter_<32 hex>", a, b)
	}
}

func TestGitHubConsole(t *testing.T) {
	env, _, summary := gitHubEnv(t)
	r := runStep(t, testDef, []string{"--plan=p"}, env, func(_ context.Context, s *Session) error {
		end := s.Group("Deploying")
		s.Warning("careful: 50%")
		end()
		end() // a second call is harmless
		s.Errorf("service %s: %d errors", "web", 3)
		s.Summary("## Done")
		s.Summary("- web")
		return nil
	})
	if r.code != 0 {
		t.Fatalf("Run = %d; stderr:\n%s", r.code, r.stderr)
	}
	want := "::group::Deploying\n::warning::careful: 50%25\n::endgroup::\n::error::service web: 3 errors\n"
	if r.stdout != want {
		t.Errorf("stdout = %q, want %q", r.stdout, want)
	}
	got, err := os.ReadFile(summary)
	if err != nil || string(got) != "## Done\n- web\n" {
		t.Errorf("step summary = %q (%v), want %q", got, err, "## Done\n- web\n")
	}
}

func TestGitHubWithoutFilesDoesNotPanic(t *testing.T) {
	r := runStep(t, testDef, []string{"--plan=p", "--ci=github"}, nil, func(_ context.Context, s *Session) error {
		s.Group("g")()
		s.Summary("summary text")
		s.Warning("w")
		return nil
	})
	if r.code != ExitExternal || !strings.Contains(r.stderr, "GITHUB_OUTPUT is not set") {
		t.Errorf("Run = %d, stderr:\n%s\nwant %d naming GITHUB_OUTPUT", r.code, r.stderr, ExitExternal)
	}
	if !strings.Contains(r.stderr, "summary text") {
		t.Errorf("summary not on stderr without GITHUB_STEP_SUMMARY:\n%s", r.stderr)
	}
}

func TestTektonResults(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "results")
	r := runStep(t, testDef, []string{"--plan=p", "--results-dir", dir}, nil, setOutputs("reg/app@sha256:abc", "25"))
	if r.code != 0 {
		t.Fatalf("Run = %d; stderr:\n%s", r.code, r.stderr)
	}
	for name, want := range map[string]string{"plan-ref": "reg/app@sha256:abc", "weight": "25"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != want {
			t.Errorf("result %s = %q (%v), want %q", name, got, err, want)
		}
	}
}

func TestTektonBudget(t *testing.T) {
	limit := TektonResultsBudget - tektonReserve
	// The JSON around two results: [{"key":"plan-ref","value":"","type":1},{"key":"weight","value":"1","type":1}]
	overhead := tektonMessageSize([]outputValue{{"plan-ref", ""}, {"weight", "1"}})
	tests := []struct {
		name   string
		size   int
		wantOK bool
	}{
		{"fits exactly", limit - overhead, true},
		{"one byte over", limit - overhead + 1, false},
		{"far over", 10000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "results")
			r := runStep(t, testDef, []string{"--plan=p", "--results-dir=" + dir}, nil,
				setOutputs(strings.Repeat("a", tt.size), "1"))
			if tt.wantOK {
				if r.code != 0 {
					t.Errorf("Run = %d, want 0; stderr:\n%s", r.code, r.stderr)
				}
				return
			}
			if r.code != ExitExternal || !strings.Contains(r.stderr, "termination message budget") ||
				!strings.Contains(r.stderr, "plan-ref=") {
				t.Errorf("Run = %d, stderr:\n%s\nwant %d naming the budget and sizes", r.code, r.stderr, ExitExternal)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("results dir holds %d files after overflow, want none", len(entries))
			}
		})
	}
}

func TestDotenv(t *testing.T) {
	many := make([]outputValue, GitLabDotenvMaxVars+1)
	for i := range many {
		many[i] = outputValue{name: "o" + strings.Repeat("x", i), value: "v"}
	}
	tests := []struct {
		name    string
		outs    []outputValue
		want    string
		wantErr string
	}{
		{"keys", []outputValue{{"plan-ref", "reg/app@sha256:abc"}, {"weight", ""}}, "PLAN_REF=reg/app@sha256:abc\nWEIGHT=\n", ""},
		{"value with equals and quotes", []outputValue{{"a", `x=y "z"`}}, "A=x=y \"z\"\n", ""},
		{"multi-line", []outputValue{{"a", "x\nOTHER=evil"}}, "", `output "a": GitLab dotenv values must be a single line`},
		{"carriage return", []outputValue{{"a", "x\rY=1"}}, "", "single line"},
		{"control character", []outputValue{{"a", "x\x1b[2Jy"}}, "", "cannot carry control characters"},
		{"bad key", []outputValue{{"a.b", "x"}}, "", `key "A.B" does not match`},
		{"too big", []outputValue{{"a", strings.Repeat("x", GitLabDotenvMaxBytes)}}, "", "GitLab accepts at most 5120"},
		{"too many", many, "", "51 outputs, GitLab accepts at most 50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dotenv(tt.outs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("dotenv() error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("dotenv() = %q, %v, want %q", got, err, tt.want)
			}
		})
	}
}

func TestGitLabWritesNothingOnRefusal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aviary.env")
	r := runStep(t, testDef, []string{"--plan=p", "--dotenv=" + path}, []string{"GITLAB_CI=true"},
		setOutputs("a\nb", "1"))
	if r.code != ExitExternal || !strings.Contains(r.stderr, "single line") {
		t.Errorf("Run = %d, stderr:\n%s\nwant %d refusing the multi-line value", r.code, r.stderr, ExitExternal)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("dotenv file exists after refusal (stat error %v)", err)
	}
}

func TestLocalOutputs(t *testing.T) {
	r := runStep(t, testDef, []string{"--plan=p"}, nil, func(_ context.Context, s *Session) error {
		s.SetOutput("weight", "1")
		s.SetOutput("weight", "50") // the last value wins
		return nil
	})
	if r.code != 0 {
		t.Fatalf("Run = %d; stderr:\n%s", r.code, r.stderr)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, r.stdout)
	}
	if diff := cmp.Diff(map[string]string{"plan-ref": "", "weight": "50"}, got); diff != "" {
		t.Errorf("outputs mismatch (-want +got):\n%s", diff)
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		ci, resultsDir string
		env            []string
		want           System
	}{
		{"auto", "", nil, Local},
		{"auto", "", []string{"GITHUB_ACTIONS=true"}, GitHub},
		{"auto", "", []string{"GITLAB_CI=true"}, GitLab},
		{"auto", "/tekton/results", nil, Tekton},
		{"auto", "", []string{"GITHUB_ACTIONS=false"}, Local},
		{"local", "", []string{"GITHUB_ACTIONS=true"}, Local},
		{"tekton", "", []string{"GITLAB_CI=true"}, Tekton},
		{"gitlab", "/tekton/results", nil, GitLab},
	}
	for _, tt := range tests {
		if got := detect(tt.ci, tt.resultsDir, envMap(tt.env)); got != tt.want {
			t.Errorf("detect(%q, %q, %q) = %s, want %s", tt.ci, tt.resultsDir, tt.env, got, tt.want)
		}
	}
}

func TestSummaryFileOutsideGitHub(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.md")
	r := runStep(t, testDef, []string{"--plan=p", "--summary-file=" + path}, nil, func(_ context.Context, s *Session) error {
		s.Summary("## Result")
		return nil
	})
	got, err := os.ReadFile(path)
	if r.code != 0 || err != nil || string(got) != "## Result\n" {
		t.Errorf("Run = %d, summary file = %q (%v), want 0 and %q", r.code, got, err, "## Result\n")
	}
	if strings.Contains(r.stderr, "## Result") {
		t.Errorf("summary also on stderr:\n%s", r.stderr)
	}
}

func TestTektonStepResultsDir(t *testing.T) {
	// A StepAction cannot name its results directory; it passes one result's
	// path followed by /.., which must be resolved lexically.
	dir := filepath.Join(t.TempDir(), "results")
	r := runStep(t, testDef, []string{"--plan=p", "--results-dir=" + dir + "/plan-ref/.."}, nil, setOutputs("x", "1"))
	if r.code != 0 {
		t.Fatalf("Run = %d; stderr:\n%s", r.code, r.stderr)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "plan-ref")); err != nil || string(b) != "x" {
		t.Errorf("result plan-ref = %q (%v), want %q", b, err, "x")
	}
}
