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
// It prints every command, the steps' progress, their outputs and the live
// routes, and ends with the time each step took. It exits non-zero when any
// step ends otherwise than expected.
//
//	go run ./hack/demo [--keep] [--bin dir] [--topology single-cluster|canary-namespace]
//
// --topology picks how the sample app is placed on the demo's one cluster:
// single-cluster (as examples/sample-app ships: stable and canary side by
// side in namespace shop, told apart by version subsets) or
// canary-namespace (the release in shop, each release's canaries in
// shop-canary, the VirtualServices in shop splitting between the two
// namespaces' hosts).
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
	"syscall"

	"github.com/aviary-cd/aviary/internal/toolcache"
	"github.com/aviary-cd/aviary/pkg/config"
)

func main() {
	keep := flag.Bool("keep", false, "keep the environment up until Ctrl-C and print a file to source to reach it")
	bin := flag.String("bin", "bin", "directory of the step binaries, relative to the repository root; empty, or missing one, builds them afresh")
	topo := flag.String("topology", string(config.SingleCluster), "topology of the sample app: single-cluster or canary-namespace")
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if k := config.TopologyKind(*topo); k != config.SingleCluster && k != config.CanaryNamespace {
		fmt.Fprintf(os.Stderr, "demo: --topology %s: the demo runs single-cluster or canary-namespace on its one cluster\n", *topo)
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
