// Package toolcache finds the command-line tools that the real-environment
// tests run (etcd, kube-apiserver, kwok, istiod, Prometheus, cosign, ...), building
// each one once from a pinned tools module under hack/ and caching the binary.
//
// Path(ctx, name) returns a binary for a tool in the table below:
//
//   - If AVIARY_TOOLS_DIR is set and holds a file named <name>, that file.
//   - For etcd, kube-apiserver and kubectl, if KUBEBUILDER_ASSETS is set and
//     holds the file, that file (an envtest assets directory).
//   - For prometheus, AVIARY_PROMETHEUS, then "prometheus" on PATH (Debian's
//     package), before building.
//   - Otherwise <cache>/<name>-<version>, built with "go build" from
//     hack/<module> of this repository on first use. The cache is
//     AVIARY_TOOL_CACHE, or <user cache dir>/aviary/tools. A file lock per
//     binary keeps parallel test processes from building the same tool twice.
//
// Tools of one Group (the Kubernetes control-plane binaries) are built
// together: asking for one that is missing builds every missing member in
// one "go build", which compiles the packages they share once and links
// the binaries side by side. Ensure builds a list of tools, several builds
// at once (Options.Parallel), and reports each build's progress through a
// callback (packages compiled of those needed, wall and CPU time). The
// binaries are stripped (-s -w).
//
// Each tool's ColdCPU records what its build cost with an empty Go build
// cache on a 2-core machine; Estimate turns a list of missing tools into
// CPU and wall time, which "make demo" shows before a first run. The
// Kubernetes binaries, istiod and the two cosign CLIs cost the most;
// "go run ./hack/toolcache all" builds everything ahead of time.
//
// This is a test helper: Path prints one line to stderr when a build starts
// and one when it ends; Ensure reports only to its callback.
package toolcache
