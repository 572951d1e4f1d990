package toolcache

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const repoModule = "github.com/aviary-cd/aviary"

// Path returns the path of an executable for the named tool, building and
// caching it on first use (see the package documentation for the order).
// A missing member of a Group is built together with the group's other
// missing members. It prints a line to stderr when it starts and ends a
// build.
func Path(ctx context.Context, name string) (string, error) {
	tool, ok := Lookup(name)
	if !ok {
		return "", fmt.Errorf("unknown tool %q", name)
	}
	if p, ok := existing(tool); ok {
		return p, nil
	}
	return Build(ctx, tool)
}

// existing finds a binary provided by the environment instead of the cache.
func existing(tool Tool) (string, bool) {
	dirs := []string{os.Getenv("AVIARY_TOOLS_DIR")}
	for _, env := range tool.Env {
		dirs = append(dirs, os.Getenv(env))
	}
	for _, dir := range dirs {
		if dir == "" {
			continue
		}
		if p := filepath.Join(dir, tool.Name); isExecutable(p) {
			return p, true
		}
	}
	if tool.PathEnv != "" {
		if p := os.Getenv(tool.PathEnv); p != "" && isExecutable(p) {
			return p, true
		}
	}
	if tool.LookPath {
		if p, err := exec.LookPath(tool.Name); err == nil {
			return p, true
		}
	}
	return "", false
}

// CacheDir returns the directory holding built tools:
// AVIARY_TOOL_CACHE, or <user cache dir>/aviary/tools.
func CacheDir() (string, error) {
	if dir := os.Getenv("AVIARY_TOOL_CACHE"); dir != "" {
		return dir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the user cache directory: %w", err)
	}
	return filepath.Join(base, "aviary", "tools"), nil
}

// Build returns the cached binary for tool, building it if it is missing
// (with the missing members of its group), and printing a line to stderr
// when it starts and ends a build.
func Build(ctx context.Context, tool Tool) (string, error) {
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	if p := target(dir, tool); isExecutable(p) {
		return p, nil
	}
	paths, err := buildUnit(ctx, dir, withGroup(tool), stderrProgress(dir))
	if err != nil {
		return "", err
	}
	return paths[tool.Name], nil
}

// stderrProgress prints when a build starts and ends: test output shows
// why a first run is slow.
func stderrProgress(dir string) func(Event) {
	return func(e Event) {
		names := strings.Join(e.Tools, ", ")
		switch e.State {
		case Started:
			fmt.Fprintf(os.Stderr, "building %s once; cached in %s\n", names, dir)
		case Done:
			fmt.Fprintf(os.Stderr, "built %s in %s (%s CPU)\n", names, e.Elapsed.Round(time.Second), e.CPU.Round(time.Second))
		}
	}
}

// lockFile takes an exclusive flock on path, waiting until ctx is done.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for another build of %s: %w", filepath.Base(path), ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// RepoRoot finds the repository root: AVIARY_REPO_ROOT, or the nearest
// directory above the working directory whose go.mod declares this project.
func RepoRoot() (string, error) {
	if root := os.Getenv("AVIARY_REPO_ROOT"); root != "" {
		return root, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the working directory: %w", err)
	}
	for {
		if modulePath(filepath.Join(dir, "go.mod")) == repoModule {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("finding the aviary repository above the working directory: no go.mod declares %s", repoModule)
		}
		dir = parent
	}
}

func modulePath(gomod string) string {
	f, err := os.Open(gomod)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
