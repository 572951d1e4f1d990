package toolcache

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// buildFlags are the "go build" flags every tool gets besides its LDFlags
// (which strip the binaries: -s -w). Turning the compiler's DWARF off as
// well (-gcflags=all=-dwarf=false) was measured and saved no CPU: etcd's
// cold build took 144.8 s with it on, 144.4 s off.
var buildFlags = []string{"-trimpath"}

// goBuild builds unit (tools of one module, see plan) in one
// "go build" invocation into a scratch directory of dir, then moves each
// binary to its cache name. The caller holds the tools' locks.
func goBuild(ctx context.Context, dir string, unit []Tool, progress func(Event)) (map[string]string, error) {
	names := toolNames(unit)
	label := strings.Join(names, ", ")
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	scratch, err := os.MkdirTemp(dir, ".build-")
	if err != nil {
		return nil, fmt.Errorf("creating a build directory for %s: %w", label, err)
	}
	defer os.RemoveAll(scratch)

	module := filepath.Join(root, "hack", unit[0].Module)
	env := append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
	pkgs := make([]string, len(unit))
	for i, t := range unit {
		pkgs[i] = t.Package
	}
	out := scratch + string(filepath.Separator)
	if len(unit) == 1 {
		out = filepath.Join(scratch, binaryName(unit[0].Package))
	}
	args := append([]string{"build", "-v"}, buildFlags...)
	args = append(args, "-ldflags", unitLDFlags(unit), "-o", out)
	args = append(args, pkgs...)

	start := time.Now()
	report := func(e Event) {
		if progress != nil {
			e.Tools, e.Elapsed = names, time.Since(start)
			progress(e)
		}
	}
	report(Event{State: Started})
	counter := &packageCounter{report: report, listed: make(chan struct{})}
	if progress != nil {
		go counter.countDeps(ctx, module, env, pkgs)
	} else {
		close(counter.listed)
	}

	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Env = module, env
	var tail tailBuffer
	cmd.Stdout = &tail
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", label, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("building %s from hack/%s: %w", label, unit[0].Module, err)
	}
	counter.scan(stderr, &tail)
	err = cmd.Wait()
	if err != nil {
		err = fmt.Errorf("building %s from hack/%s: %w\n%s", label, unit[0].Module, err, tail.String())
		report(Event{State: Failed, Err: err})
		return nil, err
	}

	paths := make(map[string]string, len(unit))
	for _, t := range unit {
		built := out
		if len(unit) > 1 {
			built = filepath.Join(scratch, binaryName(t.Package))
		}
		if err := os.Rename(built, target(dir, t)); err != nil {
			err = fmt.Errorf("installing %s: %w", t.Name, err)
			report(Event{State: Failed, Err: err})
			return nil, err
		}
		paths[t.Name] = target(dir, t)
	}
	<-counter.listed // a few seconds at most; the total belongs in the last report
	p, d := counter.counts()
	report(Event{State: Done, Packages: p, Total: d, CPU: cpuTime(cmd.ProcessState)})
	return paths, nil
}

// binaryName is the file name "go build -o dir/" gives the main package
// pkg: its last element, or the one before a major-version suffix (/v2).
func binaryName(pkg string) string {
	base := path.Base(pkg)
	if len(base) > 1 && base[0] == 'v' && strings.Trim(base[1:], "0123456789") == "" && base != "v0" && base != "v1" {
		if parent := path.Dir(pkg); parent != "." {
			return path.Base(parent)
		}
	}
	return base
}

// cpuTime is the user and system time of a finished process and the
// children it waited for (the compilers and linkers of "go build").
func cpuTime(ps *os.ProcessState) time.Duration {
	if ps == nil {
		return 0
	}
	return ps.UserTime() + ps.SystemTime()
}

// packageCounter counts the packages "go build -v" reports compiled, and
// learns how many the build needs from "go list -deps".
type packageCounter struct {
	report func(Event)
	listed chan struct{} // closed when countDeps is done

	mu          sync.Mutex
	built, deps int
}

func (c *packageCounter) counts() (built, deps int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.built, c.deps
}

// scan reads the build's stderr: a line naming a package is one more
// package compiled; every other line (errors) goes to tail.
func (c *packageCounter) scan(r io.Reader, tail io.Writer) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		line := s.Text()
		if line == "" || strings.ContainsAny(line, " \t:") || strings.HasPrefix(line, "#") {
			fmt.Fprintln(tail, line)
			continue
		}
		c.mu.Lock()
		c.built++
		e := Event{State: Compiling, Packages: c.built, Total: c.deps}
		c.mu.Unlock()
		c.report(e)
	}
	_, _ = io.Copy(io.Discard, r)
}

// countDeps sets the total from "go list -deps"; on failure the total
// stays unknown (zero), which only makes the progress less precise.
func (c *packageCounter) countDeps(ctx context.Context, module string, env, pkgs []string) {
	defer close(c.listed)
	cmd := exec.CommandContext(ctx, "go", append([]string{"list", "-deps"}, pkgs...)...)
	cmd.Dir, cmd.Env = module, env
	out, err := cmd.Output()
	if err != nil {
		return
	}
	n := bytes.Count(out, []byte("\n"))
	c.mu.Lock()
	c.deps = n
	c.mu.Unlock()
}

// tailBuffer keeps the last 64 KiB written to it: the end of a failed
// build's output.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 64 << 10

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > tailMax {
		b.buf = append([]byte(nil), b.buf[len(b.buf)-tailMax:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
