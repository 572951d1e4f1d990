package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/aviary-cd/aviary/internal/toolcache"
)

// envTools are the programs the local environment runs.
var envTools = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "prometheus", "pilot-discovery"}

// toolBuilds is how many tool builds run at once: two keep two cores busy
// through each other's links.
const toolBuilds = 2

// progressEvery is how often a running build reports its progress.
const progressEvery = 30 * time.Second

// ensureTools finds every program of the environment, building the missing
// ones once (toolcache caches them). A first run builds them from source,
// which takes many minutes on a small machine: it says how long beforehand
// and shows each build's progress while it runs.
func ensureTools(ctx context.Context, out io.Writer) error {
	missing, err := toolcache.Missing(envTools...)
	if err != nil {
		return err
	}
	dir, err := toolcache.CacheDir()
	if err != nil {
		return err
	}
	if len(missing) == 0 {
		fmt.Fprintf(out, "  tools       etcd, Kubernetes %s, kwok, Prometheus, istiod: cached (%s)\n", kubeVersion(), dir)
		return nil
	}
	fmt.Fprint(out, firstRunNotice(missing, runtime.NumCPU(), dir))
	start := time.Now()
	p := &buildPrinter{out: out, last: map[string]time.Time{}}
	if _, err := toolcache.Ensure(ctx, envTools, toolcache.Options{Parallel: toolBuilds, Progress: p.event}); err != nil {
		return err
	}
	fmt.Fprintf(out, "              all built in %s; later runs start in seconds\n", since(start).Round(time.Second))
	return nil
}

// firstRunNotice says what a first run builds and how long that takes.
func firstRunNotice(missing []toolcache.Tool, cores int, dir string) string {
	names := make([]string, len(missing))
	for i, t := range missing {
		names[i] = t.Name
	}
	cpu, wall := toolcache.Estimate(missing, cores)
	var b strings.Builder
	fmt.Fprintf(&b, "  tools       first run: building %s from source once, cached in %s.\n", strings.Join(names, ", "), dir)
	fmt.Fprintf(&b, "              That is about %s of CPU: about %s on %d idle core(s), longer on a busy machine.\n",
		minutes(cpu), minutes(wall), cores)
	return b.String()
}

// minutes rounds d for a person: "25 minutes", "1 minute".
func minutes(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	if m <= 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// buildPrinter shows the tool builds' progress: a line when one starts,
// every progressEvery while it compiles, and when it ends.
type buildPrinter struct {
	out io.Writer

	mu   sync.Mutex
	last map[string]time.Time
}

func (p *buildPrinter) event(e toolcache.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	names := strings.Join(e.Tools, ", ")
	switch e.State {
	case toolcache.Started:
		p.last[names] = time.Now()
		fmt.Fprintf(p.out, "              building %s ...\n", names)
	case toolcache.Compiling:
		if time.Since(p.last[names]) < progressEvery {
			return
		}
		p.last[names] = time.Now()
		fmt.Fprintf(p.out, "                    %s: %s, %s\n", names, packages(e), e.Elapsed.Round(time.Second))
	case toolcache.Done:
		fmt.Fprintf(p.out, "                    built %s in %s\n", names, e.Elapsed.Round(time.Second))
	case toolcache.Failed:
		fmt.Fprintf(p.out, "                    building %s failed after %s\n", names, e.Elapsed.Round(time.Second))
	}
}

// packages says how far a build is: "812 of 2454 packages (33 %)".
func packages(e toolcache.Event) string {
	if e.Total == 0 {
		return fmt.Sprintf("%d packages compiled", e.Packages)
	}
	return fmt.Sprintf("%d of %d packages (%d %%)", e.Packages, e.Total, 100*e.Packages/e.Total)
}

func kubeVersion() string {
	if t, ok := toolcache.Lookup("kube-apiserver"); ok {
		return t.Version
	}
	return ""
}
