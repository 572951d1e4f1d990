// Package podman runs OCI images as containers with podman, without a
// daemon, the way CI systems run aviary's step images: for the end-to-end
// tests of make e2e-ci (hack/e2e-ci).
//
// Podman runs with its own containers.conf (CONTAINERS_CONF): runc as the
// runtime and cgroupfs as the cgroup manager (crun refuses some hosts'
// hybrid cgroups), no default ulimits (podman's default nofile limit can
// exceed the host's hard limit), and a file events logger (no journald).
// Every container uses the host network, so that registries, API servers
// and Prometheus on loopback are reachable.
package podman

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ContainersConf is the configuration podman runs with.
const ContainersConf = `[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
`

// Podman is the podman CLI with its configuration.
type Podman struct {
	// Bin is the podman executable.
	Bin string
	// Env is the environment of every podman command (CONTAINERS_CONF).
	Env []string
}

// ErrMissing is returned by New when podman or runc is not installed.
var ErrMissing = errors.New("podman and runc are needed (Debian: apt-get install podman runc)")

// New finds podman and runc and writes the configuration into dir.
func New(dir string) (*Podman, error) {
	bin, err := exec.LookPath("podman")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMissing, err)
	}
	if _, err := exec.LookPath("runc"); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMissing, err)
	}
	conf := filepath.Join(dir, "containers.conf")
	if err := os.WriteFile(conf, []byte(ContainersConf), 0o644); err != nil {
		return nil, err
	}
	return &Podman{Bin: bin, Env: append(os.Environ(), "CONTAINERS_CONF="+conf)}, nil
}

// Command returns a podman command with the configuration.
func (p *Podman) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, p.Bin, args...)
	cmd.Env = p.Env
	return cmd
}

// Output runs podman and returns its stdout; the error carries stderr.
func (p *Podman) Output(ctx context.Context, args ...string) (string, error) {
	cmd := p.Command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("podman %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// Pull pulls ref; plain HTTP is allowed (the test registry serves it on
// loopback).
func (p *Podman) Pull(ctx context.Context, ref string) error {
	_, err := p.Output(ctx, "pull", "--quiet", "--tls-verify=false", ref)
	return err
}

// Mount is a bind mount.
type Mount struct {
	Source, Target string
	ReadOnly       bool
}

// Run is one container run.
type Run struct {
	Image string
	// User overrides the image's user ("uid:gid"); empty keeps it.
	User string
	// Entrypoint overrides the image's entrypoint when non-nil; an empty
	// slice clears it (GitLab's entrypoint: [""]).
	Entrypoint []string
	// Args are the command (after the entrypoint).
	Args []string
	Env  map[string]string
	// Workdir is the working directory in the container.
	Workdir string
	Mounts  []Mount
	// Stdout and Stderr receive the container's output besides Result.
	Stdout, Stderr io.Writer
}

// Result is how a container ended.
type Result struct {
	Exit           int
	Stdout, Stderr string
	Took           time.Duration
}

// Run runs a container to its end, removing it afterwards, on the host
// network. A non-zero exit is a Result, not an error.
func (p *Podman) Run(ctx context.Context, r Run) (Result, error) {
	args := []string{"run", "--rm", "--network=host", "--pull=never"}
	if r.User != "" {
		args = append(args, "--user", r.User)
	}
	if r.Entrypoint != nil {
		ep := "[]"
		if len(r.Entrypoint) > 0 {
			var q []string
			for _, e := range r.Entrypoint {
				q = append(q, fmt.Sprintf("%q", e))
			}
			ep = "[" + strings.Join(q, ",") + "]"
		}
		args = append(args, "--entrypoint", ep)
	}
	if r.Workdir != "" {
		args = append(args, "--workdir", r.Workdir)
	}
	for _, m := range r.Mounts {
		opt := m.Source + ":" + m.Target
		if m.ReadOnly {
			opt += ":ro"
		}
		args = append(args, "--volume", opt)
	}
	for _, k := range slices.Sorted(maps.Keys(r.Env)) {
		args = append(args, "--env", k+"="+r.Env[k])
	}
	args = append(args, r.Image)
	args = append(args, r.Args...)
	cmd := p.Command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = tee(&stdout, r.Stdout), tee(&stderr, r.Stderr)
	start := time.Now()
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String(), Took: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.Exit = exit.ExitCode()
		if res.Exit == 125 || res.Exit == 126 || res.Exit == 127 {
			return res, fmt.Errorf("podman could not run %s (exit %d): %s", r.Image, res.Exit, res.Stderr)
		}
	default:
		return res, fmt.Errorf("running podman: %w", err)
	}
	return res, nil
}

func tee(buf *bytes.Buffer, w io.Writer) io.Writer {
	if w == nil {
		return buf
	}
	return io.MultiWriter(buf, w)
}

// Service serves the Docker API on a unix socket (for act) until stop is
// called.
func (p *Podman) Service(ctx context.Context, socket string) (stop func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	cmd := p.Command(ctx, "system", "service", "--time=0", "unix://"+socket)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("starting podman system service: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(socket); err == nil {
			break
		}
		select {
		case <-done:
			cancel()
			return nil, fmt.Errorf("podman system service ended: %s", stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			return nil, fmt.Errorf("podman system service: no socket %s after 30s", socket)
		}
	}
	return func() { cancel(); <-done }, nil
}
