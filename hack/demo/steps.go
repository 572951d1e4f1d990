package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
)

// stepNames are the step binaries the demo runs, in pipeline order.
var stepNames = []string{"open-release", "bundle-plan", "verify-artifacts", "deploy-canary", "shift-weight", "promote", "rollback", "rebuild-cluster"}

// binaries finds the step binaries: dir when it holds all of them (make
// build writes bin/), else a fresh `go build` of each into scratch.
type binaries struct {
	dir   string // where the binaries are
	shown string // how the command lines name dir
}

// findBinaries returns the step binaries in binDir, building into scratch
// when binDir is empty or misses one of them.
func findBinaries(ctx context.Context, out io.Writer, root, binDir, scratch string) (*binaries, error) {
	if binDir != "" && haveAll(binDir) {
		shown := binDir
		if rel, err := filepath.Rel(root, binDir); err == nil && !strings.HasPrefix(rel, "..") {
			shown = rel
		}
		return &binaries{dir: binDir, shown: shown}, nil
	}
	dir := filepath.Join(scratch, "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	pkgs := make([]string, len(stepNames))
	for i, s := range stepNames {
		pkgs[i] = "./steps/" + s
	}
	fmt.Fprintf(out, "  building the step binaries (%s)\n", strings.Join(stepNames, ", "))
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", append([]string{"build", "-trimpath", "-ldflags=-s -w", "-o", dir + string(filepath.Separator)}, pkgs...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the step binaries: %w\n%s", err, msg)
	}
	fmt.Fprintf(out, "  built in %s\n", since(start))
	return &binaries{dir: dir, shown: "$DEMO/bin"}, nil
}

func haveAll(dir string) bool {
	for _, s := range stepNames {
		if fi, err := os.Stat(filepath.Join(dir, s)); err != nil || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// stepRun is one run of a step binary.
type stepRun struct {
	Act      int
	Step     string
	Args     []string
	Exit     int
	Want     int // the exit code the demo expects
	Outputs  map[string]string
	Stderr   string
	Duration time.Duration
}

// OK reports whether the step ended as the demo expects.
func (r *stepRun) OK() bool { return r.Exit == r.Want }

// runner runs step binaries in local mode and prints what they do.
type runner struct {
	bins    *binaries
	out     io.Writer
	env     []string
	workDir string            // the demo's scratch directory, shown as $DEMO
	vars    map[string]string // values command lines show as $NAME, by value
	act     int
	runs    []*stepRun
	record  func(timing) // called with every step's timing
}

// stepEnv is the environment of a step: this process's, without anything
// that would make a step think it runs in CI or read inputs from the
// environment, with an empty Docker config, the demo cluster's kubeconfig
// and a file for the steps' Markdown summaries.
func stepEnv(dockerConfig, kubeconfig, summaryFile string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "INPUT_"), strings.HasPrefix(k, "AVIARY_"), strings.HasPrefix(k, "GITHUB_"),
			strings.HasPrefix(k, "GITLAB_"), strings.HasPrefix(k, "CI_"), k == "CI", k == "KUBECONFIG", k == "DOCKER_CONFIG":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "DOCKER_CONFIG="+dockerConfig, "KUBECONFIG="+kubeconfig, "AVIARY_SUMMARY_FILE="+summaryFile)
}

// describe returns the catalog description of a step.
func describe(name string) string {
	for _, d := range catalog.All() {
		if d.Name == name {
			return d.Description
		}
	}
	return ""
}

// definition returns the catalog definition of a step.
func definition(name string) (step.Definition, bool) {
	for _, d := range catalog.All() {
		if d.Name == name {
			return d, true
		}
	}
	return step.Definition{}, false
}

// accepts reports whether the step binary lists input in its --help: the
// binary, not the catalog this program was built with, decides what it
// takes.
func (b *binaries) accepts(ctx context.Context, step, input string) bool {
	out, err := exec.CommandContext(ctx, filepath.Join(b.dir, step), "--help").Output()
	return err == nil && strings.Contains(string(out), "--"+input+" ")
}

// runEnv runs a step with args (each "--name=value"), expecting exit code want.
// It prints a header, the command line, the step's stderr as it comes, and
// the outputs. A step that ends otherwise than expected is an error that
// carries the command and everything it printed.
//
// env holds extra environment variables, secrets the command line would
// show; the command line shows them with their values masked.
func (r *runner) runEnv(ctx context.Context, name string, want int, env []string, args ...string) (*stepRun, error) {
	args = append([]string{"--ci=local"}, args...)
	sr := &stepRun{Act: r.act, Step: name, Args: args, Want: want}
	r.runs = append(r.runs, sr)
	command := r.commandLine(name, args)
	for i := len(env) - 1; i >= 0; i-- {
		k, _, _ := strings.Cut(env[i], "=")
		command = k + "=*** " + command
	}

	fmt.Fprintf(r.out, "\n── %s ── %s\n", name, describe(name))
	fmt.Fprintf(r.out, "   $ %s\n", command)

	var stdout bytes.Buffer
	stderr := &lineWriter{prefix: "   │ ", out: r.out, shorten: r.shorten}
	cmd := exec.CommandContext(ctx, filepath.Join(r.bins.dir, name), args...)
	cmd.Env = append(append([]string(nil), r.env...), env...)
	cmd.Stdout = &stdout
	cmd.Stderr = stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) } // let it release its lock
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	err := cmd.Run()
	sr.Duration = time.Since(start)
	stderr.Flush()
	sr.Stderr = stderr.all.String()
	defer func() {
		if r.record != nil {
			r.record(timing{Act: sr.Act, Name: sr.Step, Exit: fmt.Sprint(sr.Exit), Took: sr.Duration})
		}
	}()

	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		sr.Exit = exit.ExitCode()
	case ctx.Err() != nil:
		return sr, ctx.Err()
	default:
		return sr, fmt.Errorf("running %s: %w", name, err)
	}
	if sr.Exit == 0 || sr.Exit == 1 {
		sr.Outputs = map[string]string{}
		if err := json.Unmarshal(stdout.Bytes(), &sr.Outputs); err != nil {
			sr.Exit = -1
			return sr, fmt.Errorf("%s printed no outputs object on stdout: %w\nstdout: %s", name, err, stdout.String())
		}
		r.printOutputs(name, sr.Outputs)
	}
	switch {
	case sr.OK() && want == 0:
		fmt.Fprintf(r.out, "   ✓ %s in %s\n", name, round(sr.Duration))
	case sr.OK():
		fmt.Fprintf(r.out, "   ✓ %s exited %d in %s, as intended\n", name, sr.Exit, round(sr.Duration))
	default:
		fmt.Fprintf(r.out, "   ✗ %s exited %d, want %d\n", name, sr.Exit, want)
		return sr, &stepError{run: sr, command: command}
	}
	return sr, nil
}

// stepError is a step that ended otherwise than the demo expected.
type stepError struct {
	run     *stepRun
	command string
}

func (e *stepError) Error() string {
	return fmt.Sprintf("%s exited %d, want %d (its stderr is above)\ncommand: %s", e.run.Step, e.run.Exit, e.run.Want, e.command)
}

// printOutputs prints the outputs in the order the catalog declares them.
func (r *runner) printOutputs(name string, outs map[string]string) {
	d, _ := definition(name)
	width := 0
	for _, o := range d.Outputs {
		width = max(width, len(o.Name))
	}
	for i, o := range d.Outputs {
		lead := "   → "
		if i > 0 {
			lead = "     "
		}
		v, ok := outs[o.Name]
		switch {
		case !ok:
			v = "(missing)"
		case v == "":
			v = "(empty)"
		}
		fmt.Fprintf(r.out, "%s%-*s  %s\n", lead, width, o.Name, r.shorten(v))
	}
}

// commandLine is the command as a person would type it: the binary under
// bin/ and every argument, quoted where needed, with the scratch directory
// shown as $DEMO and the values of vars by their names.
func (r *runner) commandLine(name string, args []string) string {
	parts := []string{filepath.Join(r.bins.shown, name)}
	for _, a := range args {
		for v, name := range r.vars {
			a = strings.ReplaceAll(a, v, "$"+name)
		}
		a = r.shorten(a)
		if strings.ContainsAny(a, " \t'\"") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// shorten writes the scratch directory as $DEMO.
func (r *runner) shorten(s string) string {
	if r.workDir != "" {
		s = strings.ReplaceAll(s, r.workDir, "$DEMO")
	}
	return s
}

// lineWriter writes whole lines, prefixed, to out as they arrive, and
// keeps everything it was given.
type lineWriter struct {
	prefix  string
	out     io.Writer
	shorten func(string) string
	mu      sync.Mutex
	buf     bytes.Buffer
	all     bytes.Buffer
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	w.buf.Write(p)
	for {
		i := bytes.IndexByte(w.buf.Bytes(), '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(w.buf.Next(i + 1))
		w.emit(strings.TrimRight(line, "\r\n"))
	}
}

// Flush writes a last line without a newline.
func (w *lineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() > 0 {
		w.emit(w.buf.String())
		w.buf.Reset()
	}
}

func (w *lineWriter) emit(line string) {
	if w.shorten != nil {
		line = w.shorten(line)
	}
	fmt.Fprintf(w.out, "%s%s\n", w.prefix, line)
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	default:
		return d.Round(time.Millisecond)
	}
}

func since(t time.Time) time.Duration { return round(time.Since(t)) }
