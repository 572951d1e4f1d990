package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/topology"
)

// sampleImageRegistry is the registry the sample app's aviary.yaml names;
// the demo points it at its own registry.
const sampleImageRegistry = "localhost:5000/"

// app is the sample application's git repository: a copy of
// examples/sample-app with its images in the demo registry and the
// topology section of the chosen topology's example, on branch main.
type app struct {
	Dir      string
	Product  string
	Services []string
	// Namespace is where the release config places the routes (and the
	// stable workloads); Namespaces are every namespace it uses, Namespace
	// first.
	Namespace  string
	Namespaces []string
	// HostNamespace is the namespace of the hosts clients call: the
	// route's, or the stable side's when the route lives elsewhere (the
	// gateway cluster of gateway-routed-clusters).
	HostNamespace string
	// Clusters are the kubeconfig contexts the topology names, the one
	// holding the route first; empty for the one cluster of a namespace
	// topology.
	Clusters []string
	// Place is where the topology puts everything.
	Place topology.Placement
	repo  *git.Repository
	clock time.Time
}

// layout is the topology a demo runs: the topology section of
// examples/topologies/<kind>/aviary.yaml (single-cluster keeps the sample
// app's own) and where it places things.
type layout struct {
	Kind    config.TopologyKind
	Section string // "topology:\n..." up to the canary section; "" keeps the sample app's
	Place   topology.Placement
	// Clusters are the contexts the topology names, the route's first;
	// empty for one cluster.
	Clusters []string
}

// readLayout reads the example topology of kind under root.
func readLayout(root string, kind config.TopologyKind) (layout, error) {
	if kind == "" {
		kind = config.SingleCluster
	}
	if !slices.Contains(config.Kinds(), kind) {
		return layout{}, fmt.Errorf("--topology %s: not a topology kind; give one of %v", kind, config.Kinds())
	}
	l := layout{Kind: kind}
	file := filepath.Join(root, "examples", "topologies", string(kind), config.FileName)
	data, err := os.ReadFile(file)
	if err != nil {
		return layout{}, fmt.Errorf("reading the example of topology %s: %w", kind, err)
	}
	cfg, err := config.Parse(file, data)
	if err != nil {
		return layout{}, fmt.Errorf("reading the example of topology %s: %w", kind, err)
	}
	if kind != config.SingleCluster {
		_, rest, ok := strings.Cut(string(data), "\ntopology:")
		section, _, ok2 := strings.Cut(rest, "\ncanary:")
		if !ok || !ok2 {
			return layout{}, fmt.Errorf("%s: no topology section followed by a canary section", file)
		}
		l.Section = "topology:" + section + "\n"
	}
	if l.Place, err = topology.Place(cfg.Topology, topology.Options{}); err != nil {
		return layout{}, fmt.Errorf("placing the example of topology %s: %w", kind, err)
	}
	add := func(ctx string) {
		if ctx != "" && !slices.Contains(l.Clusters, ctx) {
			l.Clusters = append(l.Clusters, ctx)
		}
	}
	add(l.Place.Home().Context)
	for _, s := range l.Place.Sides {
		add(s.Context)
	}
	return l, nil
}

// newApp copies the sample app from src into dir, points its images at
// registryHost, gives it the topology section of l, and makes the first
// commit on main.
func newApp(src, dir, registryHost string, l layout) (*app, error) {
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		return nil, fmt.Errorf("copying the sample app: %w", err)
	}
	cfgPath := filepath.Join(dir, config.FileName)
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(string(data), sampleImageRegistry) {
		return nil, fmt.Errorf("%s: no image in %s to point at the demo registry", config.FileName, sampleImageRegistry)
	}
	data = []byte(strings.ReplaceAll(string(data), sampleImageRegistry, registryHost+"/"))
	if l.Section != "" {
		head, rest, ok := strings.Cut(string(data), "topology:")
		_, tail, ok2 := strings.Cut(rest, "\ncanary:")
		if !ok || !ok2 {
			return nil, fmt.Errorf("%s: no topology section followed by canary to replace", config.FileName)
		}
		data = []byte(head + l.Section + "canary:" + tail)
	}
	if err := os.WriteFile(cfgPath, data, 0o644); err != nil {
		return nil, err
	}
	cfg, err := config.Parse(config.FileName, data)
	if err != nil {
		return nil, fmt.Errorf("reading the sample app's release config: %w", err)
	}
	a := &app{Dir: dir, Product: cfg.Product, Clusters: l.Clusters, clock: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	for _, s := range cfg.Services {
		a.Services = append(a.Services, s.Name)
	}
	if a.Place, err = topology.Place(cfg.Topology, topology.Options{}); err != nil {
		return nil, fmt.Errorf("placing the sample app: %w", err)
	}
	a.Namespace = a.Place.Home().Namespace
	a.Namespaces = []string{a.Namespace}
	for _, s := range a.Place.Sides {
		if !slices.Contains(a.Namespaces, s.Namespace) {
			a.Namespaces = append(a.Namespaces, s.Namespace)
		}
		if s.Namespace == a.Namespace && s.Role != config.RoleGateway {
			a.HostNamespace = a.Namespace
		}
	}
	if a.HostNamespace == "" {
		stable, _ := a.Place.Part(config.PartStable)
		a.HostNamespace = stable.Namespace
	}
	a.repo, err = git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.Main},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the git repository: %w", err)
	}
	return a, nil
}

// switches reports whether the topology releases by rebuilding a passive
// side and switching to it (blue/green), with no canary side.
func (a *app) switches() bool { return a.Place.Canary == "" }

// closesBySwitching reports whether the topology, after its canaries,
// closes a release by rebuilding its passive cluster and switching to it.
func (a *app) closesBySwitching() bool { return a.Place.Canary != "" && a.Place.Switch != "" }

// closesInPlace reports whether the topology, after its canaries, closes
// a release by rebuilding its release cluster from the plan in place: the
// design's gateway-routed-clusters does (any topology with a canary side
// can, but the others' promote already leaves the stable side at the plan).
func (a *app) closesInPlace() bool { return a.Place.Kind == config.GatewayRoutedClusters }

// change writes a line into each named service's source (src/<service>/
// CHANGES, standing in for code) and commits everything with message.
// It returns the commit's hash.
func (a *app) change(message string, services ...string) (string, error) {
	for _, s := range services {
		p := filepath.Join(a.Dir, "src", s, "CHANGES")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return "", err
		}
		_, err = fmt.Fprintln(f, message)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", err
		}
	}
	wt, err := a.repo.Worktree()
	if err != nil {
		return "", err
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return "", fmt.Errorf("adding files: %w", err)
	}
	a.clock = a.clock.Add(time.Hour)
	sig := &object.Signature{Name: "Demo Developer", Email: "dev@shop.example", When: a.clock}
	h, err := wt.Commit(message, &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		return "", fmt.Errorf("committing: %w", err)
	}
	return h.String(), nil
}
