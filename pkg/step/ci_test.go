package step_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// These tests build testdata/echo-step and run it the way each CI system
// runs a step container, with nothing from this process's environment.

var (
	echoOnce sync.Once
	echoBin  string
	echoErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if echoBin != "" {
		os.RemoveAll(filepath.Dir(echoBin))
	}
	os.Exit(code)
}

func echoStep(t *testing.T) string {
	t.Helper()
	echoOnce.Do(func() {
		dir, err := os.MkdirTemp("", "echo-step")
		if err != nil {
			echoErr = err
			return
		}
		echoBin = filepath.Join(dir, "echo-step")
		out, err := exec.Command("go", "build", "-o", echoBin, "./testdata/echo-step").CombinedOutput()
		if err != nil {
			echoErr = errors.New(string(out))
		}
	})
	if echoErr != nil {
		t.Fatalf("building echo-step: %v", echoErr)
	}
	return echoBin
}

type run struct {
	code           int
	stdout, stderr string
}

func runEcho(t *testing.T, dir string, env []string, args ...string) run {
	t.Helper()
	cmd := exec.Command(echoStep(t), args...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running echo-step: %v", err)
	}
	return run{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

const secret = "tok-9f8e7d6c5b4a"

func TestAsGitHubDockerAction(t *testing.T) {
	dir := t.TempDir()
	output, summary := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	// A Docker action gets INPUT_ for every declared input, empty or not,
	// with the name upper-cased and hyphens kept.
	env := []string{
		"GITHUB_ACTIONS=true", "CI=true",
		"GITHUB_OUTPUT=" + output, "GITHUB_STEP_SUMMARY=" + summary,
		"INPUT_MESSAGE=hello", "INPUT_LINES=first\nsecond=evil", "INPUT_COUNT=3",
		"INPUT_TOKEN=" + secret, "INPUT_FAIL=", "INPUT_WAIT=",
		"INPUT_LOG-FORMAT=", "INPUT_CI=", "INPUT_SUMMARY-FILE=",
	}
	r := runEcho(t, dir, env)
	if r.code != 0 {
		t.Fatalf("exit code = %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	got := readGitHubOutput(t, output)
	want := map[string]string{"message": "hello", "lines": "first\nsecond=evil", "count": "3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outputs mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.stdout, "::add-mask::"+secret) {
		t.Errorf("stdout does not mask the token:\n%s", r.stdout)
	}
	if strings.Contains(r.stderr, secret) {
		t.Errorf("stderr shows the token:\n%s", r.stderr)
	}
	if b, _ := os.ReadFile(summary); !strings.Contains(string(b), "message: hello") {
		t.Errorf("step summary = %q, want it to hold the message", b)
	}
}

func TestAsTektonStep(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "tekton", "results")
	// A Task passes every param as --name=$(params.name), empty ones too.
	r := runEcho(t, dir, []string{"HOME=/tekton/home"},
		"--message=hi tekton", "--lines=", "--count=7", "--token=", "--fail=", "--wait=false",
		"--log-format=json", "--results-dir="+results)
	if r.code != 0 {
		t.Fatalf("exit code = %d, want 0; stderr:\n%s", r.code, r.stderr)
	}
	for name, want := range map[string]string{"message": "hi tekton", "lines": "", "count": "7"} {
		b, err := os.ReadFile(filepath.Join(results, name))
		if err != nil || string(b) != want {
			t.Errorf("result %s = %q (%v), want %q", name, b, err, want)
		}
	}
	if !strings.HasPrefix(r.stderr, `{"time"`) {
		t.Errorf("stderr is not JSON logs:\n%s", r.stderr)
	}
}

func TestAsGitLabJob(t *testing.T) {
	dir := t.TempDir()
	// A component job sets AVIARY_ from every spec input, empty ones too.
	env := []string{
		"GITLAB_CI=true", "CI=true", "CI_PROJECT_DIR=" + dir,
		"AVIARY_MESSAGE=hi gitlab", "AVIARY_LINES=", "AVIARY_COUNT=2", "AVIARY_TOKEN=" + secret,
		"AVIARY_FAIL=negative", "AVIARY_WAIT=false", "AVIARY_LOG_FORMAT=text",
	}
	r := runEcho(t, dir, env)
	if r.code != 1 {
		t.Fatalf("exit code = %d, want 1 (negative); stderr:\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "aviary.env"))
	if err != nil {
		t.Fatalf("reading the dotenv report: %v", err)
	}
	want := "MESSAGE=hi gitlab\nLINES=\nCOUNT=2\n"
	if string(b) != want {
		t.Errorf("aviary.env = %q, want %q", b, want)
	}
	if strings.Contains(r.stderr, secret) {
		t.Errorf("stderr shows the token:\n%s", r.stderr)
	}
}

func TestBinaryExitCodes(t *testing.T) {
	for fail, want := range map[string]int{"": 0, "negative": 1, "invalid": 2, "external": 3, "plain": 3} {
		r := runEcho(t, t.TempDir(), nil, "--message=x", "--fail="+fail)
		if r.code != want {
			t.Errorf("echo-step --fail=%s exit code = %d, want %d; stderr:\n%s", fail, r.code, want, r.stderr)
		}
	}
	if r := runEcho(t, t.TempDir(), nil, "--count=many"); r.code != 2 ||
		!strings.Contains(r.stderr, `input "message" is required`) || !strings.Contains(r.stderr, `"many"`) {
		t.Errorf("bad inputs: exit code = %d, stderr:\n%s\nwant 2 naming both problems", r.code, r.stderr)
	}
}

func TestSignalExits130(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(echoStep(t), "--message=x", "--wait")
			var stderr syncBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for !strings.Contains(stderr.String(), "waiting") {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("echo-step never started waiting; stderr:\n%s", stderr.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()
			if got := cmd.ProcessState.ExitCode(); got != 130 {
				t.Errorf("exit code after %v = %d, want 130; stderr:\n%s", sig, got, stderr.String())
			}
			if !strings.Contains(stderr.String(), "interrupted") {
				t.Errorf("stderr does not say interrupted:\n%s", stderr.String())
			}
		})
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// readGitHubOutput parses GITHUB_OUTPUT as the runner does.
func readGitHubOutput(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading GITHUB_OUTPUT: %v", err)
	}
	outs := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			k, v, _ := strings.Cut(lines[i], "=")
			outs[k] = v
			continue
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("GITHUB_OUTPUT block %q not closed", name)
		}
		outs[name] = strings.Join(val, "\n")
	}
	return outs
}
