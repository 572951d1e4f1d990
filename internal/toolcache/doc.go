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
//   - Otherwise <user cache dir>/aviary/tools/<name>-<version>, built with
//     "go build" from hack/<module> of this repository on first use. A file
//     lock keeps parallel test processes from building the same tool twice.
//
// The first build of the Kubernetes binaries takes about ten minutes on two
// cores, and istiod's (pilot-discovery, from hack/istiod) about as long
// again; "go run ./hack/toolcache all" builds everything ahead of time.
//
// This is a test helper: it prints one line to stderr when it builds.
package toolcache
