package main

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/aviary-cd/aviary/internal/toolcache"
	"github.com/aviary-cd/aviary/pkg/config"
)

// TestLayouts: every topology has an example the demo can run, with the
// clusters it starts (the route's first), the namespace the callers run
// in and the one of the hosts they call.
func TestLayouts(t *testing.T) {
	root, err := toolcache.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	want := map[config.TopologyKind]struct {
		clusters        []string
		namespace, host string
		switches        bool
	}{
		config.SingleCluster:                {nil, "shop", "shop", false},
		config.CanaryNamespace:              {nil, "shop", "shop", false},
		config.BlueGreenNamespaces:          {nil, "shop-blue", "shop-blue", true},
		config.BlueGreenClusters:            {[]string{"east", "west"}, "shop", "shop", true},
		config.DeltaCanaryCluster:           {[]string{"main", "canary"}, "shop", "shop", false},
		config.RebuiltCanaryCluster:         {[]string{"main", "canary"}, "shop", "shop", false},
		config.ActivePassiveCanaryNamespace: {[]string{"east", "west"}, "shop", "shop", false},
		config.GatewayRoutedClusters:        {[]string{"edge", "release", "canary"}, "istio-ingress", "shop", false},
	}
	for _, kind := range config.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			w, ok := want[kind]
			if !ok {
				t.Fatalf("no expectation for %s", kind)
			}
			l, err := readLayout(root, kind)
			if err != nil {
				t.Fatalf("readLayout(%s) = %v", kind, err)
			}
			if !slices.Equal(l.Clusters, w.clusters) {
				t.Errorf("readLayout(%s) clusters = %v, want %v", kind, l.Clusters, w.clusters)
			}
			a, err := newApp(filepath.Join(root, "examples", "sample-app"), filepath.Join(t.TempDir(), "shop"), "127.0.0.1:5000", l)
			if err != nil {
				t.Fatalf("newApp(%s) = %v", kind, err)
			}
			if a.Place.Kind != kind || a.Namespace != w.namespace || a.HostNamespace != w.host || a.switches() != w.switches {
				t.Errorf("newApp(%s) = kind %s, namespace %s, hosts in %s, switches %v; want %s, %s, %v", kind, a.Place.Kind, a.Namespace, a.HostNamespace, a.switches(), w.namespace, w.host, w.switches)
			}
			if got := a.closesBySwitching(); got != (kind == config.ActivePassiveCanaryNamespace) {
				t.Errorf("newApp(%s).closesBySwitching() = %v", kind, got)
			}
			if got := a.closesInPlace(); got != (kind == config.GatewayRoutedClusters) {
				t.Errorf("newApp(%s).closesInPlace() = %v", kind, got)
			}
		})
	}
	if _, err := readLayout(root, "no-such-kind"); err == nil {
		t.Error("readLayout(no-such-kind) = nil error")
	}
}
