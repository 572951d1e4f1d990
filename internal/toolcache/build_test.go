package toolcache

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeRepo writes a repository root with a tools module hack/fake holding
// main packages that print their name, a tools module hack/broken that
// does not compile, and points the table and the cache at them.
func fakeRepo(t *testing.T) (cache string) {
	t.Helper()
	root := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("hack/fake/go.mod", "module example.com/fake\n\ngo 1.26\n")
	// The root's name makes each test's packages new to the Go build
	// cache, so that they are compiled and reported.
	for _, name := range []string{"alpha", "beta", "gamma/v2"} {
		write("hack/fake/"+name+"/main.go", "package main\n\nimport \"os\"\n\nvar name = \"unset\"\n\nconst root = "+strconv.Quote(root)+
			"\n\nfunc main() { os.Stdout.WriteString(name) }\n")
	}
	write("hack/broken/go.mod", "module example.com/broken\n\ngo 1.26\n")
	write("hack/broken/main.go", "package main\n\nfunc main() { undefined() }\n")

	cache = filepath.Join(t.TempDir(), "tools")
	t.Setenv("AVIARY_REPO_ROOT", root)
	t.Setenv("AVIARY_TOOL_CACHE", cache)
	t.Setenv("AVIARY_TOOLS_DIR", "")
	saved := table
	t.Cleanup(func() { table = saved })
	ld := "-s -w -X main.name="
	table = []Tool{
		{Name: "alpha", Module: "fake", Package: "example.com/fake/alpha", Version: "v1", LDFlags: "-s -w", Group: "g"},
		{Name: "beta", Module: "fake", Package: "example.com/fake/beta", Version: "v1", LDFlags: "-s -w", Group: "g"},
		{Name: "gamma", Module: "fake", Package: "example.com/fake/gamma/v2", Version: "v2", LDFlags: ld + "gamma"},
		{Name: "broken", Module: "broken", Package: "example.com/broken", Version: "v0"},
	}
	return cache
}

// recorder keeps the events of a build.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) add(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) with(s State) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, e := range r.events {
		if e.State == s {
			out = append(out, e)
		}
	}
	return out
}

func runTool(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command(path).Output()
	if err != nil {
		t.Fatalf("running %s: %v", path, err)
	}
	return string(out)
}

func TestBuildMakesTheWholeGroupInOneInvocation(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	cache := fakeRepo(t)
	alpha, _ := Lookup("alpha")
	p, err := Build(context.Background(), alpha)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cache, "alpha-v1"); p != want {
		t.Errorf("Build(alpha) = %q, want %q", p, want)
	}
	// beta was built by the same invocation: Ensure finds it cached.
	var rec recorder
	paths, err := Ensure(context.Background(), []string{"beta"}, Options{Progress: rec.add})
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.with(Started); len(got) != 0 {
		t.Errorf("Ensure(beta) after Build(alpha) started builds %v, want none", got)
	}
	if got, want := paths["beta"], filepath.Join(cache, "beta-v1"); got != want {
		t.Errorf("Ensure(beta) = %q, want %q", got, want)
	}
	if got := runTool(t, paths["beta"]); got != "unset" {
		t.Errorf("beta printed %q, want %q", got, "unset")
	}
}

func TestEnsureBuildsUnitsInParallelAndReportsProgress(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	cache := fakeRepo(t)
	var rec recorder
	paths, err := Ensure(context.Background(), []string{"alpha", "beta", "gamma"}, Options{Parallel: 2, Progress: rec.add})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alpha", "beta", "gamma"} {
		if !isExecutable(paths[name]) || !strings.HasPrefix(paths[name], cache) {
			t.Errorf("Ensure: %s at %q, want an executable in %s", name, paths[name], cache)
		}
	}
	// gamma's package ends in /v2: go names the binary gamma.
	if got := runTool(t, paths["gamma"]); got != "gamma" {
		t.Errorf("gamma printed %q, want %q (its LDFlags)", got, "gamma")
	}
	var units [][]string
	for _, e := range rec.with(Started) {
		units = append(units, e.Tools)
	}
	if len(units) != 2 {
		t.Fatalf("started units %v, want two: the group and gamma", units)
	}
	done := rec.with(Done)
	if len(done) != 2 {
		t.Fatalf("done events %v, want two", done)
	}
	for _, e := range done {
		if e.Packages < len(e.Tools) {
			t.Errorf("Done %v: %d packages compiled, want at least its %d main packages", e.Tools, e.Packages, len(e.Tools))
		}
		if e.Total < e.Packages {
			t.Errorf("Done %v: %d packages needed, want at least the %d compiled", e.Tools, e.Total, e.Packages)
		}
		if e.CPU <= 0 {
			t.Errorf("Done %v: CPU %v, want the build's CPU time", e.Tools, e.CPU)
		}
		if reflect.DeepEqual(e.Tools, []string{"alpha", "beta"}) {
			units = nil
		}
	}
	if units != nil {
		t.Errorf("no unit built alpha and beta together; units %v", units)
	}
	if len(rec.with(Compiling)) == 0 {
		t.Errorf("no Compiling event")
	}
	leftovers, _ := filepath.Glob(filepath.Join(cache, ".build-*"))
	if len(leftovers) != 0 {
		t.Errorf("scratch directories left in the cache: %v", leftovers)
	}
}

func TestEnsureReportsAFailedBuildAndBuildsTheRest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	cache := fakeRepo(t)
	var rec recorder
	paths, err := Ensure(context.Background(), []string{"broken", "gamma"}, Options{Parallel: 1, Progress: rec.add})
	if err == nil {
		t.Fatal("Ensure(broken, gamma) = nil error, want broken's")
	}
	for _, want := range []string{"building broken from hack/broken", "undefined"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Ensure error %q does not say %q", err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(cache, "broken-v0")); !os.IsNotExist(err) {
		t.Errorf("broken-v0 in the cache after a failed build (stat: %v)", err)
	}
	if !isExecutable(paths["gamma"]) {
		t.Errorf("gamma not built beside the failed build: %v", paths)
	}
	if got := rec.with(Failed); len(got) != 1 || got[0].Err == nil {
		t.Errorf("Failed events %v, want one with its error", got)
	}
}

func TestBinaryName(t *testing.T) {
	for pkg, want := range map[string]string{
		"k8s.io/kubernetes/cmd/kube-apiserver":     "kube-apiserver",
		"go.etcd.io/etcd/server/v3":                "server",
		"github.com/sigstore/cosign/v2/cmd/cosign": "cosign",
		"github.com/nektos/act":                    "act",
		"example.com/v1":                           "v1",
	} {
		if got := binaryName(pkg); got != want {
			t.Errorf("binaryName(%q) = %q, want %q", pkg, got, want)
		}
	}
}

func TestPlanBuildsAModuleTogetherAndOrdersByCost(t *testing.T) {
	apiserver := Tool{Name: "kube-apiserver", Module: "tools", Package: "k8s.io/kubernetes/cmd/kube-apiserver", ColdCPU: 9,
		LDFlags: "-s -w -X k8s.io/component-base/version.gitVersion=v1"}
	kwok := Tool{Name: "kwok", Module: "tools", Package: "sigs.k8s.io/kwok/cmd/kwok", ColdCPU: 1,
		LDFlags: "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=v0.8.0"}
	etcd := Tool{Name: "etcd", Module: "etcd", Package: "go.etcd.io/etcd/server/v3", ColdCPU: 2}
	act := Tool{Name: "act", Module: "tools", Package: "github.com/nektos/act", LDFlags: "-X main.version=1", ColdCPU: 20}
	other := Tool{Name: "kubectl", Module: "tools", Package: "k8s.io/kubernetes/cmd/kubectl", ColdCPU: 1,
		LDFlags: "-X k8s.io/component-base/version.gitVersion=v2"}
	twin := Tool{Name: "kwok2", Module: "tools", Package: "example.com/other/kwok", ColdCPU: 1}
	got := plan([]Tool{etcd, apiserver, act, kwok, other, twin})
	want := [][]Tool{{act}, {apiserver, kwok}, {etcd}, {other, twin}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plan = %v\nwant %v", unitNames(got), unitNames(want))
	}
	if got, want := unitLDFlags([]Tool{apiserver, kwok}),
		"-s -w -X k8s.io/component-base/version.gitVersion=v1 -X sigs.k8s.io/kwok/pkg/consts.Version=v0.8.0"; got != want {
		t.Errorf("unitLDFlags(apiserver, kwok) = %q, want %q", got, want)
	}
}

func unitNames(units [][]Tool) [][]string {
	var out [][]string
	for _, u := range units {
		out = append(out, toolNames(u))
	}
	return out
}

// TestGroupsShareAModule keeps every group buildable by one "go build".
func TestGroupsShareAModule(t *testing.T) {
	first := map[string]Tool{}
	for _, tool := range table {
		if tool.Group == "" {
			continue
		}
		f, ok := first[tool.Group]
		if !ok {
			first[tool.Group] = tool
			continue
		}
		if tool.Module != f.Module || !joinable([]Tool{f}, tool) {
			t.Errorf("group %s: %s cannot be built with %s", tool.Group, tool.Name, f.Name)
		}
	}
}

func TestEstimate(t *testing.T) {
	tools := []Tool{{Name: "a", ColdCPU: 9 * time.Minute}, {Name: "b", ColdCPU: 9 * time.Minute}}
	for _, tc := range []struct {
		cores    int
		cpu, min time.Duration
	}{
		{cores: 1, cpu: 18 * time.Minute, min: 18 * time.Minute},
		{cores: 2, cpu: 18 * time.Minute, min: 10 * time.Minute},
		{cores: 64, cpu: 18 * time.Minute, min: 5 * time.Minute},
	} {
		cpu, wall := Estimate(tools, tc.cores)
		if cpu != tc.cpu || wall.Round(time.Minute) != tc.min {
			t.Errorf("Estimate(18 CPU-minutes, %d cores) = %v, %v; want %v, about %v", tc.cores, cpu, wall, tc.cpu, tc.min)
		}
	}
}

func TestMissingSkipsCachedAndProvided(t *testing.T) {
	cache := fakeRepo(t)
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, "alpha-v1"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	provided := t.TempDir()
	if err := os.WriteFile(filepath.Join(provided, "gamma"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AVIARY_TOOLS_DIR", provided)
	got, err := Missing("alpha", "beta", "gamma")
	if err != nil {
		t.Fatal(err)
	}
	if names := toolNames(got); !reflect.DeepEqual(names, []string{"beta"}) {
		t.Errorf("Missing(alpha, beta, gamma) = %v, want [beta]", names)
	}
	if _, err := Missing("nope"); err == nil {
		t.Errorf("Missing(nope) = nil error, want one")
	}
}

// TestEveryToolHasAColdCost keeps the first-run estimates whole.
func TestEveryToolHasAColdCost(t *testing.T) {
	for _, tool := range table {
		if tool.ColdCPU <= 0 {
			t.Errorf("%s: no ColdCPU", tool.Name)
		}
	}
}
