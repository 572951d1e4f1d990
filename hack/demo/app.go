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
// examples/sample-app with its images in the demo registry, on branch main.
type app struct {
	Dir      string
	Product  string
	Services []string
	// Namespace is where the release config places the routes (and the
	// stable workloads); Namespaces are every namespace it uses, Namespace
	// first.
	Namespace  string
	Namespaces []string
	repo       *git.Repository
	clock      time.Time
}

// canaryNamespaceTopology is the topology section the demo gives the
// sample app for --topology canary-namespace.
const canaryNamespaceTopology = `topology:
  kind: canary-namespace
  targets:
    - role: stable
      namespace: shop
    - role: canary
      namespace: shop-canary
`

// newApp copies the sample app from src into dir, points its images at
// registryHost, gives it the topology kind (single-cluster, as shipped, or
// canary-namespace), and makes the first commit on main.
func newApp(src, dir, registryHost string, kind config.TopologyKind) (*app, error) {
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
	switch kind {
	case config.SingleCluster, "":
	case config.CanaryNamespace:
		head, rest, ok := strings.Cut(string(data), "topology:")
		_, tail, ok2 := strings.Cut(rest, "\ncanary:")
		if !ok || !ok2 {
			return nil, fmt.Errorf("%s: no topology section followed by canary to replace", config.FileName)
		}
		data = []byte(head + canaryNamespaceTopology + "canary:" + tail)
	default:
		return nil, fmt.Errorf("--topology %s: the demo runs single-cluster or canary-namespace on its one cluster", kind)
	}
	if err := os.WriteFile(cfgPath, data, 0o644); err != nil {
		return nil, err
	}
	cfg, err := config.Parse(config.FileName, data)
	if err != nil {
		return nil, fmt.Errorf("reading the sample app's release config: %w", err)
	}
	a := &app{Dir: dir, Product: cfg.Product, clock: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	for _, s := range cfg.Services {
		a.Services = append(a.Services, s.Name)
	}
	place, err := topology.Place(cfg.Topology, topology.Options{})
	if err != nil {
		return nil, fmt.Errorf("placing the sample app: %w", err)
	}
	a.Namespace = place.Home().Namespace
	a.Namespaces = []string{a.Namespace}
	for _, s := range place.Sides {
		if !slices.Contains(a.Namespaces, s.Namespace) {
			a.Namespaces = append(a.Namespaces, s.Namespace)
		}
	}
	a.repo, err = git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.Main},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the git repository: %w", err)
	}
	return a, nil
}

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
