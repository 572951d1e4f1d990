// Command demo is `make demo`: it starts the local environment (a registry,
// a Kubernetes control plane with Istio's CRDs, Prometheus scraping
// synthetic Istio telemetry), makes a git repository of
// examples/sample-app, and walks it through the release pipeline by running
// the real step binaries of bin/ in local mode:
//
//	act 1  the first release: every service goes straight to stable
//	act 2  a new version of every service: canary, traffic shifted 10% then
//	       50% under metric analysis, promoted
//	act 3  a faulty release of one service: 5% errors, the analysis fails,
//	       shift-weight sends traffic back (exit 1, as intended), rollback
//
// With --topology <kind> the sample app is released on that topology, as
// the example config examples/topologies/<kind>/aviary.yaml places it,
// with a real control plane per cluster it names (istiod for the cluster
// holding the route, a remote secret for each other: one mesh; the
// callers run there). The canary topologies walk the three acts above;
// blue-green-namespaces and blue-green-clusters release each version with
// rebuild-cluster (built whole into the side that does not serve, then
// switched to) and switch the faulty one back at once;
// active-passive-canary-namespace ends with a fourth act, the release's
// close: the passive cluster rebuilt and switched to, then the other
// rebuilt too.
//
// It prints every command, the steps' progress, their outputs and the live
// routes (the cluster each subset selects, the answers each version gave),
// and ends with the time each step took. It exits non-zero when any step
// ends otherwise than expected.
//
//	go run ./hack/demo [--keep] [--bin dir] [--topology kind]
//
// It runs the binaries of --bin (default bin/, which `make demo` builds
// first); when that directory misses one, or --bin is empty, it builds them
// afresh into a scratch directory. The first run also builds the
// environment's programs (etcd, Kubernetes, kwok) once, which takes about
// ten minutes on two cores; internal/toolcache caches them.
//
// --keep leaves the environment up until Ctrl-C, even after a failure, and
// prints a file to source to reach it from another shell.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/aviary-cd/aviary/internal/toolcache"
	"github.com/aviary-cd/aviary/pkg/config"
)

func main() {
	keep := flag.Bool("keep", false, "keep the environment up until Ctrl-C and print a file to source to reach it")
	bin := flag.String("bin", "bin", "directory of the step binaries, relative to the repository root; empty, or missing one, builds them afresh")
	topo := flag.String("topology", string(config.SingleCluster), "topology of the sample app, as its example in examples/topologies places it: one of "+kindNames())
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if !slices.Contains(config.Kinds(), config.TopologyKind(*topo)) {
		fmt.Fprintf(os.Stderr, "demo: --topology %s: not a topology; give one of %s\n", *topo, kindNames())
		os.Exit(2)
	}
	root, err := toolcache.RepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(2)
	}
	binDir := *bin
	if binDir != "" && !filepath.IsAbs(binDir) {
		binDir = filepath.Join(root, binDir)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	_, err = run(ctx, options{Root: root, BinDir: binDir, Keep: *keep, Out: os.Stdout, Topology: config.TopologyKind(*topo)})
	if err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo: %v\n", err)
		os.Exit(1)
	}
}

func kindNames() string {
	var names []string
	for _, k := range config.Kinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}
