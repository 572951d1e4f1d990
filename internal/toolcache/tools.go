package toolcache

import (
	"sort"
	"time"
)

// Tool is one binary built from a tools module of this repository.
type Tool struct {
	// Name is the binary's name and the key for Path.
	Name string
	// Module is the tools module's directory under hack/.
	Module string
	// Package is the main package to build.
	Package string
	// Version is the module version pinned by the tools module's go.mod;
	// it names the cached binary.
	Version string
	// LDFlags are passed to "go build -ldflags" (version stamping).
	LDFlags string
	// Env lists environment variables naming directories that may already
	// hold the binary (checked after AVIARY_TOOLS_DIR).
	Env []string
	// PathEnv names a variable holding the binary's own path, and LookPath
	// allows a binary of that name on PATH (checked before building).
	PathEnv  string
	LookPath bool
	// Group names tools of one module that are wanted together: asking
	// for one that is missing builds every missing member in one
	// "go build", which compiles their shared packages once and links the
	// binaries side by side (Ensure also builds the tools it is given of
	// one module together).
	Group string
	// ColdCPU is the CPU time the tool's build took with an empty Go build
	// cache on a 2-core machine (for a group member after the members
	// before it in the table). It orders parallel builds and estimates how
	// long a first run takes.
	ColdCPU time.Duration
}

const (
	kubeVersion = "v1.37.2"
	kubeLDFlags = "-s -w" +
		" -X k8s.io/component-base/version.gitVersion=" + kubeVersion +
		" -X k8s.io/component-base/version.gitMajor=1" +
		" -X k8s.io/component-base/version.gitMinor=37" +
		" -X k8s.io/component-base/version.gitTreeState=clean" +
		" -X k8s.io/client-go/pkg/version.gitVersion=" + kubeVersion +
		" -X k8s.io/client-go/pkg/version.gitMajor=1" +
		" -X k8s.io/client-go/pkg/version.gitMinor=37"
)

// istioVersion is istio.io/istio's pseudo-version pinned by hack/istiod: the
// master branch after Istio 1.31 was cut (its VERSION file says 1.31).
const istioVersion = "v0.0.0-20260827124520-eed52ebb66ad"

// The ColdCPU figures, in CPU-minutes. Measured on 2026-11-27 with an
// empty Go build cache on a 2-core machine under heavy load (load average
// 15 to 34, which inflates CPU time): etcd 2.4 (144.8 s); the Kubernetes
// binaries in one go build had used 17.2 when 2036 of their 2454 packages
// were compiled (the measurement was stopped there, before the links):
// about 21 in all at that rate, 19 counted here since load inflates CPU
// time, split between them as the earlier one-by-one builds took wall time
// (5 minutes, then 3 more). The others come from earlier wall times
// on 2 cores: istiod 12 to 15, kwok about 1.5 after the Kubernetes
// binaries (same module), prometheus 5.5 minutes of wall time; the cosign
// CLIs' 9 each, act's, crane's, oras' and kubectl's are estimates from the
// minutes their first builds took beside other builds.
var table = []Tool{
	{Name: "etcd", Module: "etcd", Package: "go.etcd.io/etcd/server/v3", Version: "v3.6.7",
		LDFlags: "-s -w", Env: []string{"KUBEBUILDER_ASSETS"}, ColdCPU: cpuMinutes(2.4)},
	{Name: "kube-apiserver", Module: "tools", Package: "k8s.io/kubernetes/cmd/kube-apiserver", Version: kubeVersion,
		LDFlags: kubeLDFlags, Env: []string{"KUBEBUILDER_ASSETS"}, Group: "kube", ColdCPU: cpuMinutes(12.5)},
	{Name: "kube-controller-manager", Module: "tools", Package: "k8s.io/kubernetes/cmd/kube-controller-manager", Version: kubeVersion,
		LDFlags: kubeLDFlags, Group: "kube", ColdCPU: cpuMinutes(5)},
	{Name: "kube-scheduler", Module: "tools", Package: "k8s.io/kubernetes/cmd/kube-scheduler", Version: kubeVersion,
		LDFlags: kubeLDFlags, Group: "kube", ColdCPU: cpuMinutes(1.5)},
	{Name: "kubectl", Module: "tools", Package: "k8s.io/kubernetes/cmd/kubectl", Version: kubeVersion,
		LDFlags: kubeLDFlags, Env: []string{"KUBEBUILDER_ASSETS"}, ColdCPU: cpuMinutes(1.5)},
	{Name: "kwok", Module: "tools", Package: "sigs.k8s.io/kwok/cmd/kwok", Version: "v0.8.0",
		LDFlags: "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=v0.8.0 -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=" + kubeVersion,
		Group:   "kube", ColdCPU: cpuMinutes(1.5)},
	{Name: "cosign-v2", Module: "cosign-v2", Package: "github.com/sigstore/cosign/v2/cmd/cosign", Version: "v2.6.1",
		LDFlags: "-s -w -X sigs.k8s.io/release-utils/version.gitVersion=v2.6.1", ColdCPU: cpuMinutes(9)},
	{Name: "cosign-v3", Module: "cosign-v3", Package: "github.com/sigstore/cosign/v3/cmd/cosign", Version: "v3.1.3",
		LDFlags: "-s -w -X sigs.k8s.io/release-utils/version.gitVersion=v3.1.3", ColdCPU: cpuMinutes(9)},
	{Name: "act", Module: "act", Package: "github.com/nektos/act", Version: "v0.2.89",
		LDFlags: "-s -w -X main.version=0.2.89", ColdCPU: cpuMinutes(2)},
	{Name: "crane", Module: "bench", Package: "github.com/google/go-containerregistry/cmd/crane", Version: "v0.22.1",
		LDFlags: "-s -w -X github.com/google/go-containerregistry/cmd/crane/cmd.Version=v0.22.1", ColdCPU: cpuMinutes(1.5)},
	{Name: "oras", Module: "bench", Package: "oras.land/oras/cmd/oras", Version: "v1.3.6",
		LDFlags: "-s -w -X oras.land/oras/internal/version.Version=1.3.6 -X oras.land/oras/internal/version.BuildMetadata=", ColdCPU: cpuMinutes(1)},
	{Name: "pilot-discovery", Module: "istiod", Package: "istio.io/istio/pilot/cmd/pilot-discovery", Version: istioVersion,
		LDFlags: "-s -w -X istio.io/istio/pkg/version.buildVersion=1.31-dev" +
			" -X istio.io/istio/pkg/version.buildGitRevision=eed52ebb66ad -X istio.io/istio/pkg/version.buildStatus=Clean", ColdCPU: cpuMinutes(13)},
	{Name: "prometheus", Module: "prometheus", Package: "github.com/prometheus/prometheus/cmd/prometheus", Version: "v0.316.0",
		LDFlags: "-s -w", PathEnv: "AVIARY_PROMETHEUS", LookPath: true, ColdCPU: cpuMinutes(9)},
}

func cpuMinutes(m float64) time.Duration { return time.Duration(m * float64(time.Minute)) }

// Tools returns the table of known tools, sorted by name.
func Tools() []Tool {
	out := append([]Tool(nil), table...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the tool called name.
func Lookup(name string) (Tool, bool) {
	for _, t := range table {
		if t.Name == name {
			return t, true
		}
	}
	return Tool{}, false
}
