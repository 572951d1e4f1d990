package toolcache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Options tune Ensure. The zero value builds one unit at a time and
// reports nothing.
type Options struct {
	// Parallel bounds how many "go build" invocations run at once; zero or
	// less means one. Each invocation already compiles packages on every
	// core, so more than two rarely helps on a small machine: the gain is
	// the links and the long single packages that leave a core idle.
	Parallel int
	// Progress, when set, receives what happens to each build unit. It may
	// be called from several goroutines at once.
	Progress func(Event)
}

// State is what an Event reports.
type State int

const (
	// Started: the unit's "go build" began (the tools were missing).
	Started State = iota
	// Compiling: the build finished one more package (Packages of Total).
	Compiling
	// Done: the binaries are in the cache.
	Done
	// Failed: the build failed; Err says why.
	Failed
)

// Event reports on one build unit: one tool, or the missing members of a
// group built by one "go build" invocation.
type Event struct {
	State State
	// Tools are the names built together, in table order.
	Tools []string
	// Packages counts packages compiled so far, Total the packages the
	// build needs (zero until known). Packages already in the Go build
	// cache are not compiled, so a warm build ends below Total.
	Packages, Total int
	// Elapsed is the wall time since the unit started.
	Elapsed time.Duration
	// CPU is the user and system time of the build and its compilers and
	// linkers, set when Done.
	CPU time.Duration
	// Err is set when Failed.
	Err error
}

// Ensure returns the path of every named tool, building the missing ones:
// the members of a Group that are missing together in one "go build", and
// up to opts.Parallel builds at once. A tool that fails does not stop the
// others; the error names each failure.
func Ensure(ctx context.Context, names []string, opts Options) (map[string]string, error) {
	paths := make(map[string]string, len(names))
	var missing []Tool
	for _, name := range names {
		tool, ok := Lookup(name)
		if !ok {
			return nil, fmt.Errorf("unknown tool %q", name)
		}
		if p, ok := existing(tool); ok {
			paths[name] = p
			continue
		}
		missing = append(missing, tool)
	}
	if len(missing) == 0 {
		return paths, nil
	}
	dir, err := CacheDir()
	if err != nil {
		return nil, err
	}
	units := plan(missing)
	parallel := max(opts.Parallel, 1)
	sem := make(chan struct{}, parallel)
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for _, u := range units {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				mu.Lock()
				errs = append(errs, fmt.Errorf("building %s: %w", strings.Join(toolNames(u), ", "), ctx.Err()))
				mu.Unlock()
				return
			}
			defer func() { <-sem }()
			built, err := buildUnit(ctx, dir, u, opts.Progress)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			for name, p := range built {
				paths[name] = p
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return paths, errors.Join(errs...)
	}
	return paths, nil
}

// plan splits missing tools into build units, one "go build" each. Tools
// of one tools module share their dependencies' versions, so they are
// built together: the shared packages compile once, not once per tool (or
// twice at the same time in parallel builds). A tool stays alone when its
// LDFlags set a variable of package main (they would set it in every
// binary of the unit) or one another member sets to another value, or
// when its binary's name is taken. Units whose cold build costs most come
// first, so that a parallel build does not end on one long build.
func plan(missing []Tool) [][]Tool {
	var units [][]Tool
	byModule := map[string]int{}
	for _, t := range missing {
		if i, ok := byModule[t.Module]; ok && joinable(units[i], t) {
			units[i] = append(units[i], t)
			continue
		}
		if !setsMain(t) {
			byModule[t.Module] = len(units)
		}
		units = append(units, []Tool{t})
	}
	sort.SliceStable(units, func(i, j int) bool { return coldCPU(units[i]) > coldCPU(units[j]) })
	return units
}

// joinable says whether t can be built in one invocation with unit.
func joinable(unit []Tool, t Tool) bool {
	if setsMain(t) {
		return false
	}
	vars := linkVars(t.LDFlags)
	for _, u := range unit {
		if binaryName(u.Package) == binaryName(t.Package) {
			return false
		}
		for k, v := range linkVars(u.LDFlags) {
			if w, ok := vars[k]; ok && w != v {
				return false
			}
		}
	}
	return true
}

func setsMain(t Tool) bool {
	for k := range linkVars(t.LDFlags) {
		if strings.HasPrefix(k, "main.") {
			return true
		}
	}
	return false
}

// linkVars returns the variables that "-X name=value" flags set.
func linkVars(ldflags string) map[string]string {
	vars := map[string]string{}
	f := strings.Fields(ldflags)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "-X" {
			k, v, _ := strings.Cut(f[i+1], "=")
			vars[k] = v
			i++
		}
	}
	return vars
}

// unitLDFlags merges the link flags of a unit's tools, each flag once:
// "-X" variables only reach binaries that hold their package.
func unitLDFlags(unit []Tool) string {
	var out []string
	seen := map[string]bool{}
	for _, t := range unit {
		f := strings.Fields(t.LDFlags)
		for i := 0; i < len(f); i++ {
			flag := f[i]
			if f[i] == "-X" && i+1 < len(f) {
				flag = "-X " + f[i+1]
				i++
			}
			if !seen[flag] {
				seen[flag] = true
				out = append(out, flag)
			}
		}
	}
	return strings.Join(out, " ")
}

// withGroup adds to tool the other members of its group that are neither
// provided by the environment nor cached, so that one build makes them all.
func withGroup(tool Tool) []Tool {
	unit := []Tool{tool}
	if tool.Group == "" {
		return unit
	}
	for _, t := range table {
		if t.Group != tool.Group || t.Name == tool.Name {
			continue
		}
		if _, ok := existing(t); ok {
			continue
		}
		if dir, err := CacheDir(); err == nil && isExecutable(filepath.Join(dir, t.Name+"-"+t.Version)) {
			continue
		}
		unit = append(unit, t)
	}
	return unit
}

func coldCPU(unit []Tool) time.Duration {
	var d time.Duration
	for _, t := range unit {
		d += t.ColdCPU
	}
	return d
}

func toolNames(unit []Tool) []string {
	names := make([]string, len(unit))
	for i, t := range unit {
		names[i] = t.Name
	}
	return names
}

// target is where the cache keeps tool's binary.
func target(dir string, tool Tool) string {
	return filepath.Join(dir, tool.Name+"-"+tool.Version)
}

// buildUnit builds the tools of one unit that are not cached yet, holding
// each one's lock (taken in name order, so that units overlapping in
// another process cannot deadlock with this one).
func buildUnit(ctx context.Context, dir string, unit []Tool, progress func(Event)) (map[string]string, error) {
	paths := map[string]string{}
	var todo []Tool
	for _, t := range unit {
		if p := target(dir, t); isExecutable(p) {
			paths[t.Name] = p
		} else {
			todo = append(todo, t)
		}
	}
	if len(todo) == 0 {
		return paths, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	locked := append([]Tool(nil), todo...)
	sort.Slice(locked, func(i, j int) bool { return locked[i].Name < locked[j].Name })
	for _, t := range locked {
		unlock, err := lockFile(ctx, target(dir, t)+".lock")
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	var build []Tool // still missing: not built by another process while we waited
	for _, t := range todo {
		if p := target(dir, t); isExecutable(p) {
			paths[t.Name] = p
		} else {
			build = append(build, t)
		}
	}
	if len(build) == 0 {
		return paths, nil
	}
	built, err := goBuild(ctx, dir, build, progress)
	if err != nil {
		return nil, err
	}
	for name, p := range built {
		paths[name] = p
	}
	return paths, nil
}
