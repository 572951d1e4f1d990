package steps_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/devenv"
)

// The step binaries the tests of this package run, built once per test
// binary into one directory.
var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// stepBinaries builds every step under steps/ that the real-process tests
// run and returns the directory holding them. AVIARY_STEPS_BIN names a
// directory of binaries built already (make build's bin/) instead.
func stepBinaries(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("AVIARY_STEPS_BIN"); dir != "" {
		return dir
	}
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "aviary-steps")
		if binErr != nil {
			return
		}
		names := []string{"deploy-canary", "shift-weight", "promote", "rollback", "rebuild-cluster", "open-release"}
		args := []string{"build", "-o", binDir + string(filepath.Separator)}
		for _, n := range names {
			args = append(args, "./"+n)
		}
		cmd := exec.Command("go", args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("building the steps: %w\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binDir
}

// TestMain removes, after the tests, the step binaries they built and
// stops the clusters they shared.
func TestMain(m *testing.M) {
	code := devenv.SharedM{M: m}.Run()
	if binDir != "" && os.Getenv("AVIARY_STEPS_BIN") == "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// stepEnv is the environment a step runs with: nothing of this process's
// but what finding programs and a home directory need, so that no INPUT_,
// AVIARY_, KUBECONFIG or CI variable leaks in.
func stepEnv(extra ...string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	return append(env, extra...)
}

// proc is a step binary started in local mode.
type proc struct {
	name   string
	args   []string
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr lockedBuffer
	done   chan struct{}
	start  time.Time
	took   time.Duration
}

// startStep starts the step binary name of dir with args (each --name=value).
func startStep(t *testing.T, dir, name string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, args: append([]string{"--ci=local"}, args...), done: make(chan struct{})}
	p.cmd = exec.Command(filepath.Join(dir, name), p.args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		p.took = time.Since(p.start)
		close(p.done)
	}()
	return p
}

// wait waits for the step to end, at most limit, and returns its exit code
// (-1 when a signal ended it).
func (p *proc) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%s %v still ran after %s; stderr:\n%s", p.name, p.args, limit, p.stderr.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// exited reports whether the step has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill ends the step with SIGKILL, as a CI runner losing its machine would,
// and reports whether it was still running.
func (p *proc) kill() bool {
	err := p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	if errors.Is(err, os.ErrProcessDone) {
		return false
	}
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// runStep runs a step to its end and returns its exit code and stderr.
func runStep(t *testing.T, dir, name string, env []string, args ...string) (*proc, int) {
	t.Helper()
	p := startStep(t, dir, name, env, args...)
	code := p.wait(t, 3*time.Minute)
	return p, code
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
