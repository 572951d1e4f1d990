package examples_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/topology"
)

// TestClusterRolesRunTheSteps runs the real step binaries, each with only
// its Roles of rbac/<topology>/<step>.yaml (every Role in the cluster of
// the target its aviary.dev/target annotation names, one kubeconfig with a
// context per cluster), on real control planes laid out as the topology's
// example config says (topologies/<kind>/aviary.yaml): every step the
// topology runs, through a first release, a canary shifted and rolled
// back, another promoted and rolled back, and, where the topology switches
// clusters, rebuild-cluster both ways (gateway-routed-clusters,
// delta-canary-cluster and rebuilt-canary-cluster: the release cluster
// rebuilt in place). gateway-routed-clusters, delta-canary-cluster and
// active-passive-canary-namespace run as one mesh; they and
// rebuilt-canary-cluster (with delta-canary-cluster's Roles) run across
// separate meshes too, with the Roles of rbac/<topology>-separate, and so
// does blue-green-clusters (blueGreenRoles: switches at once both ways, then a
// stepped switch shifted and rolled back, begun again by deploy-canary and
// promoted). A Role missing a rule the step needs makes the step exit 3
// ("the credentials lack a permission"), failing the test.
//
// rebuilt-canary-cluster and blue-green-clusters as one mesh are run with
// their Roles by pkg/canary's TestClusterCanaries and steps/rebuild-cluster's
// TestClusterBlueGreen.
func TestClusterRolesRunTheSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real control planes and builds the step binaries")
	}
	bin := stepBinaries(t)
	for _, kind := range []config.TopologyKind{config.GatewayRoutedClusters, config.DeltaCanaryCluster, config.ActivePassiveCanaryNamespace} {
		t.Run(string(kind), func(t *testing.T) { clusterRoles(t, bin, exampleLayout(t, kind)) })
	}
	// Across separate meshes (the Roles of rbac/<topology>-separate): the
	// ServiceEntries in the deciding cluster, the ingress Gateways,
	// VirtualServices and subsets in the others.
	for _, kind := range []config.TopologyKind{config.GatewayRoutedClusters, config.DeltaCanaryCluster, config.RebuiltCanaryCluster, config.ActivePassiveCanaryNamespace} {
		t.Run(string(kind)+"-separate", func(t *testing.T) {
			layout := exampleLayout(t, kind)
			clusterRoles(t, bin, canarytest.Separate(layout, ingresses(layout.Clusters[1:])))
		})
	}
	// blue-green-clusters: each cluster reaches the other through its
	// ingress gateway.
	t.Run(string(config.BlueGreenClusters)+"-separate", func(t *testing.T) {
		layout := exampleLayout(t, config.BlueGreenClusters)
		blueGreenRoles(t, bin, canarytest.Separate(layout, ingresses(layout.Clusters)))
	})
}

// ingresses gives each of clusters an ingress gateway address
// (TEST-NET-1: no pod has it).
func ingresses(clusters []string) map[string]string {
	out := map[string]string{}
	for i, c := range clusters {
		out[c] = fmt.Sprintf("192.0.2.%d:8080", 10+i)
	}
	return out
}

func clusterRoles(t *testing.T, bin string, layout canarytest.Layout) {
	kind := layout.Topology.Kind
	run, v1, v2, v3 := rolesWalk(t, bin, layout)

	run("deploy-canary", v1, map[string]string{"first-release": "cart,api"})
	run("deploy-canary", v2, map[string]string{"changed": "cart", "weight": "10"}, "--initial-weight=10", "--timeout=1m")
	run("shift-weight", v2, map[string]string{"weight": "50"}, "--weight=50")
	run("rollback", v2, map[string]string{"rolled-back": "cart"}) // before promotion: the canary goes
	run("deploy-canary", v3, map[string]string{"changed": "cart", "weight": "20"}, "--initial-weight=20")
	run("promote", v3, map[string]string{"promoted": "cart"}, "--passive-replicas=1")
	run("rollback", v3, map[string]string{"rolled-back": "cart"}) // after promotion: the passive version back
	if kind == config.ActivePassiveCanaryNamespace {
		p, err := topology.Place(layout.Topology, topology.Options{})
		if err != nil {
			t.Fatal(err)
		}
		active, _ := p.Side(config.RoleActive)
		passive, _ := p.Side(config.RolePassive)
		run("rebuild-cluster", v2, map[string]string{"active": passive.Context, "passive": active.Context}, "--side=passive")
		run("rebuild-cluster", v2, map[string]string{"active": passive.Context, "passive": active.Context}, "--side=active", "--switch=false")
	}
	if kind == config.GatewayRoutedClusters || kind == config.DeltaCanaryCluster || kind == config.RebuiltCanaryCluster {
		// The release closes: the release cluster rebuilt in place.
		release := layout.Topology.Target(config.RoleStable).Cluster
		run("rebuild-cluster", v3, map[string]string{"active": release, "passive": ""}, "--side=stable")
	}
}

// rolesWalk starts the control planes of layout, pushes three releases of
// two services (cart changes in each, api in none) and returns them with
// the func that runs a step with only its Roles (see withRoles).
func rolesWalk(t *testing.T, bin string, layout canarytest.Layout) (run func(step string, r canarytest.Release, want map[string]string, args ...string), v1, v2, v3 canarytest.Release) {
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	svcs := []canarytest.Service{{Name: "cart"}, {Name: "api", Content: "same"}}
	v1 = f.Plan(t, "1.0.0", svcs, nil)
	v2 = f.Plan(t, "1.1.0", svcs, nil)
	v3 = f.Plan(t, "1.2.0", svcs, nil)
	return withRoles(t, bin, f), v1, v2, v3
}

// withRoles returns a func that runs a step binary on a release with only
// the step's Roles of the fixture's layout and the args given, and fails
// the test unless it exits 0 with the outputs want names.
func withRoles(t *testing.T, bin string, f *canarytest.Fixture) func(step string, r canarytest.Release, want map[string]string, args ...string) {
	kubeconfigs := map[string]string{}
	return func(step string, r canarytest.Release, want map[string]string, args ...string) {
		t.Helper()
		kc, ok := kubeconfigs[step]
		if !ok {
			kc = f.KubeconfigFor(t, step)
			kubeconfigs[step] = kc
		}
		code, outputs, stderr := runStep(t, bin, step, append([]string{"--plan=" + r.Ref, "--kubeconfig=" + kc, "--holder=test"}, args...)...)
		if code != 0 {
			t.Fatalf("%s %s %v with only its Roles = exit %d, want 0\n%s", step, r.Version, args, code, stderr)
		}
		for k, v := range want {
			if outputs[k] != v {
				t.Errorf("%s %s %v: output %s = %q, want %q\n%s", step, r.Version, args, k, outputs[k], v, stderr)
			}
		}
	}
}

// exampleLayout is the layout of the example config of kind: its topology,
// its namespaces and clusters, those holding the route first.
func exampleLayout(t *testing.T, kind config.TopologyKind) canarytest.Layout {
	t.Helper()
	c := exampleConfig(t, kind)
	p, err := topology.Place(c.Topology, topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := canarytest.Layout{Name: string(kind), Topology: c.Topology}
	if kind == config.RebuiltCanaryCluster {
		l.Roles = string(config.DeltaCanaryCluster) // as rbac/README.md says
	}
	add := func(loc topology.Location) {
		if !slices.Contains(l.Namespaces, loc.Namespace) {
			l.Namespaces = append(l.Namespaces, loc.Namespace)
		}
		if !slices.Contains(l.Clusters, loc.Context) {
			l.Clusters = append(l.Clusters, loc.Context)
		}
	}
	add(p.Home())
	for _, s := range p.Sides {
		add(s.Location)
	}
	return l
}

// exampleConfig parses the example config of kind.
func exampleConfig(t *testing.T, kind config.TopologyKind) *config.Config {
	t.Helper()
	file := filepath.Join("topologies", string(kind), "aviary.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse(file, data)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// stepBinaries builds the cluster steps into a directory of the test and
// returns it, or returns AVIARY_STEPS_BIN (make build's bin/) when set.
func stepBinaries(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("AVIARY_STEPS_BIN"); dir != "" {
		return dir // make build's bin/, as make test passes it
	}
	dir := t.TempDir()
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, s := range []string{"deploy-canary", "shift-weight", "promote", "rollback", "rebuild-cluster"} {
		args = append(args, "./steps/"+s)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the step binaries: %v\n%s", err, out)
	}
	return dir
}

// runStep runs a step binary in local mode with no environment of this
// process but PATH and HOME, and returns its exit code, outputs and stderr.
func runStep(t *testing.T, bin, step string, args ...string) (int, map[string]string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(context.Background(), filepath.Join(bin, step), append([]string{"--ci=local"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v", step, err)
	}
	outputs := map[string]string{}
	if stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), &outputs); err != nil {
			t.Fatalf("%s printed outputs that are not JSON: %v\n%s", step, err, stdout.String())
		}
	}
	t.Logf("%s %v → exit %d\n%s", step, args, code, stderr.String())
	return code, outputs, stderr.String()
}
