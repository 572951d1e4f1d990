// Command toolcache builds the tools that the real-environment tests run and
// prints their paths, one "<name> <path>" line each.
//
//	go run ./hack/toolcache all            # build every tool (CI does this first)
//	go run ./hack/toolcache etcd kwok      # just these
//	go run ./hack/toolcache -j 1 all       # one build at a time
//	go run ./hack/toolcache -list          # the table
//
// Missing tools are built up to -j at a time (members of a group, such as
// the Kubernetes binaries, in one "go build"); progress goes to stderr: a
// line when a build starts and ends (with its wall and CPU time), and one a
// minute while it runs. AVIARY_TOOL_CACHE puts the cache elsewhere.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aviary-cd/aviary/internal/toolcache"
)

func main() {
	list := flag.Bool("list", false, "print the tool table and exit")
	jobs := flag.Int("j", 2, "how many builds run at once")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: toolcache [-list] [-j N] all | <name>...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *list {
		for _, t := range toolcache.Tools() {
			fmt.Printf("%-24s %-10s hack/%-11s %s\n", t.Name, t.Version, t.Module, t.Package)
		}
		return
	}
	names := flag.Args()
	if len(names) == 0 || *jobs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if len(names) == 1 && names[0] == "all" {
		names = nil
		for _, t := range toolcache.Tools() {
			names = append(names, t.Name)
		}
	}
	for _, name := range names {
		if _, ok := toolcache.Lookup(name); !ok {
			fmt.Fprintf(os.Stderr, "toolcache: unknown tool %q (see -list)\n", name)
			os.Exit(2)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	p := &printer{last: map[string]time.Time{}}
	paths, err := toolcache.Ensure(ctx, names, toolcache.Options{Parallel: *jobs, Progress: p.event})
	for _, name := range names {
		if path, ok := paths[name]; ok {
			fmt.Printf("%s %s\n", name, path)
		}
	}
	if p.builds > 0 {
		fmt.Fprintf(os.Stderr, "toolcache: %d build(s) in %s, %s CPU\n", p.builds, time.Since(start).Round(time.Second), p.cpu.Round(time.Second))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "toolcache: %v\n", err)
		os.Exit(1)
	}
}

// printer writes build progress to stderr, at most a line a minute per
// build while it compiles.
type printer struct {
	mu     sync.Mutex
	last   map[string]time.Time
	builds int
	cpu    time.Duration
}

func (p *printer) event(e toolcache.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	names := strings.Join(e.Tools, ", ")
	switch e.State {
	case toolcache.Started:
		p.last[names] = time.Now()
		fmt.Fprintf(os.Stderr, "toolcache: building %s\n", names)
	case toolcache.Compiling:
		if time.Since(p.last[names]) < time.Minute {
			return
		}
		p.last[names] = time.Now()
		fmt.Fprintf(os.Stderr, "toolcache: building %s: %s packages, %s\n", names, count(e), e.Elapsed.Round(time.Second))
	case toolcache.Done:
		p.builds++
		p.cpu += e.CPU
		fmt.Fprintf(os.Stderr, "toolcache: built %s in %s (%s CPU, %d packages compiled)\n", names, e.Elapsed.Round(time.Second), e.CPU.Round(time.Second), e.Packages)
	case toolcache.Failed:
		fmt.Fprintf(os.Stderr, "toolcache: building %s failed after %s\n", names, e.Elapsed.Round(time.Second))
	}
}

func count(e toolcache.Event) string {
	if e.Total == 0 {
		return fmt.Sprint(e.Packages)
	}
	return fmt.Sprintf("%d of %d", e.Packages, e.Total)
}
