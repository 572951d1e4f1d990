package canarytest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/internal/xdsprobe"
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/topology"
)

// Separate makes a cluster layout one of separate meshes: each cluster
// whose context ingress names is reached through that ingress gateway
// address (host:port). Its Roles are those of the layout's directory
// with "-separate" appended (examples/rbac/<topology>-separate).
func Separate(l Layout, ingress map[string]string) Layout {
	l.Name += "-separate"
	if l.Roles != "" {
		l.Roles += "-separate"
	}
	l.Topology.Mesh = config.MeshSeparate
	targets := make([]config.Target, len(l.Topology.Targets))
	copy(targets, l.Topology.Targets)
	for i := range targets {
		targets[i].Ingress = ingress[targets[i].Cluster]
	}
	l.Topology.Targets = targets
	return l
}

// WithSeparateIstiods starts a real istiod per cluster of a layout of
// separate meshes, each its own mesh (no remote secrets), and adds two
// route checks: the home istiod asked, as a client sidecar in the release
// namespace, how each service is split and what stands behind each share
// (the home cluster's pod IPs, or the other mesh's ingress gateway
// address); and each other cluster's istiod asked, as that cluster's
// ingress gateway (istio: ingressgateway) listening on ingressPort, where
// the host the home cluster sends there goes: to the pods of the expected
// version in that cluster.
func (f *Fixture) WithSeparateIstiods(t testing.TB, ingressPort int) {
	t.Helper()
	m := f.WithSeparateMeshes(t, ingressPort)
	f.RouteChecks = append(f.RouteChecks, m.sidecar[f.home()])
	for _, c := range f.all()[1:] {
		f.RouteChecks = append(f.RouteChecks, m.ingress[c.Name])
	}
}

// Meshes are the istiods of a fixture of separate meshes, one per cluster,
// and the route checks that ask them.
type Meshes struct {
	f *Fixture
	// sidecar asks a cluster's istiod as a client sidecar in the release
	// namespace, router as that cluster's ingress gateway serving plain
	// HTTP on port 80 (a gateway cluster's Gateway), ingress as the same
	// gateway serving the hosts of other meshes on the ingress port.
	sidecar, router, ingress map[string]RouteCheck
}

// WithSeparateMeshes starts a real istiod per cluster of a layout of
// separate meshes, each its own mesh (no remote secrets), and returns
// them for route checks from each cluster (see Meshes.From); it adds none
// to the fixture's RouteChecks.
func (f *Fixture) WithSeparateMeshes(t testing.TB, ingressPort int) *Meshes {
	t.Helper()
	m := &Meshes{f: f, sidecar: map[string]RouteCheck{}, router: map[string]RouteCheck{}, ingress: map[string]RouteCheck{}}
	for _, c := range f.all() {
		ist := devenv.StartIstiod(t, c, devenv.IstiodOptions{Env: []string{"PILOT_DEBOUNCE_AFTER=10ms"}})
		t.Logf("istiod of %s ready, its own mesh, in %s", c.Name, ist.Ready.Round(time.Millisecond))
		probe := func(node xdsprobe.Node) *xdsprobe.Probe {
			p, err := xdsprobe.New(context.Background(), xdsprobe.Options{GRPCAddr: ist.GRPCAddr, DebugAddr: ist.HTTPAddr, Node: node, Timeout: 30 * time.Second})
			if err != nil {
				t.Fatalf("connecting to istiod of %s: %v", c.Name, err)
			}
			t.Cleanup(func() { _ = p.Close() })
			return p
		}
		gateway := probe(xdsprobe.Router(devenv.IstiodNamespace, ist.ClusterID, map[string]string{"istio": "ingressgateway"}))
		m.sidecar[c.Name] = f.xdsCheck(probe(xdsprobe.Sidecar(f.Namespace, ist.ClusterID)), "a sidecar in "+c.Name+"/"+f.Namespace)
		m.router[c.Name] = f.xdsCheck(gateway, "the ingress gateway of "+c.Name)
		m.ingress[c.Name] = f.ingressCheck(gateway, c.Name, ingressPort)
	}
	return m
}

// From checks, after a step, that a client sidecar in cluster's release
// namespace has each service's traffic split as want says, and that every
// other mesh's ingress gateway sends each share that reaches it to the
// pods of the share's version there; from the home cluster, also the
// route objects (ObjectsCheck).
func (m *Meshes) From(cluster string) RouteCheck {
	return m.from(cluster, m.sidecar[cluster])
}

// ViaGateway is From with the cluster's ingress gateway as the client (a
// gateway cluster's Gateway on port 80) instead of a sidecar.
func (m *Meshes) ViaGateway(cluster string) RouteCheck {
	return m.from(cluster, m.router[cluster])
}

func (m *Meshes) from(cluster string, client RouteCheck) RouteCheck {
	return func(ctx context.Context, t testing.TB, after string, want []Expect) {
		t.Helper()
		if cluster == m.f.home() {
			m.f.ObjectsCheck(ctx, t, after, want)
		}
		client(ctx, t, after+", from "+cluster, want)
		for name, check := range m.ingress {
			if name != cluster {
				check(ctx, t, after, want)
			}
		}
	}
}

// Remote expects weight percent of service's traffic on version in
// namespace of cluster, reached through that cluster's ingress gateway at
// address (its IP).
func Remote(weight int, cluster, namespace, version, address string) Share {
	return Share{Weight: weight, Namespace: namespace, Version: version, Cluster: cluster, Address: address}
}

// Local expects weight percent of service's traffic on version in
// namespace of cluster, the client's own.
func Local(weight int, cluster, namespace, version string) Share {
	return Share{Weight: weight, Namespace: namespace, Version: version, Cluster: cluster}
}

// ingressCheck waits until cluster's ingress gateway sends each share that
// reaches it to the pods of the share's version there, all of them.
func (f *Fixture) ingressCheck(probe *xdsprobe.Probe, cluster string, port int) RouteCheck {
	return func(ctx context.Context, t testing.TB, after string, want []Expect) {
		t.Helper()
		for _, w := range want {
			for _, s := range w.Shares {
				if s.Address == "" || s.Cluster != cluster {
					continue
				}
				ips, err := f.In(cluster).PodIPs(ctx, s.Namespace, fmt.Sprintf("app=%s,aviary.dev/version=%s", w.Service, s.Version))
				if err != nil {
					t.Fatal(err)
				}
				sort.Strings(ips)
				ips = slices.Compact(ips) // kwok sometimes gives two pods one IP
				host := topology.RemoteHost(w.Service, s.Namespace, cluster)
				var got xdsprobe.Split
				deadline := time.Now().Add(30 * time.Second)
				for {
					got, err = probe.Split(ctx, host, port)
					if err == nil && whole(got, ips) {
						break
					}
					if time.Now().After(deadline) {
						t.Errorf("after %s: istiod sends the ingress gateway of %s, for %s:%d, %s (error %v); want all of it to %s %s's pods %v", after, cluster, host, port, got, err, w.Service, s.Version, ips)
						break
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		}
	}
}

// whole reports whether split sends everything to one destination whose
// endpoints are exactly ips (sorted, not empty).
func whole(split xdsprobe.Split, ips []string) bool {
	if len(split.Shares) != 1 || len(ips) == 0 {
		return false
	}
	for _, sh := range split.Shares {
		got := slices.Clone(sh.IPs)
		sort.Strings(got)
		got = slices.Compact(got)
		return (sh.Weight == 100 || sh.Weight == 0) && slices.Equal(got, ips)
	}
	return false
}
