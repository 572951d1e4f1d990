package canarytest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/internal/xdsprobe"
)

// servicePort is the port of every test Service (see the manifests).
const servicePort = 80

// WithIstiod starts a real istiod for the fixture's cluster and adds a route
// check that asks it over xDS, as a client sidecar in the release
// namespace would, how each service's requests are split and which pods'
// IPs stand behind each share. It is what Istio itself makes of the route
// objects, where ObjectsCheck is what aviary meant by them.
func (f *Fixture) WithIstiod(t testing.TB) *devenv.Istiod {
	t.Helper()
	ist := devenv.StartIstiod(t, f.Cluster, devenv.IstiodOptions{Env: []string{"PILOT_DEBOUNCE_AFTER=10ms"}})
	probe, err := xdsprobe.New(context.Background(), xdsprobe.Options{
		GRPCAddr:  ist.GRPCAddr,
		DebugAddr: ist.HTTPAddr,
		Node:      xdsprobe.Sidecar(f.Namespace, ist.ClusterID),
		Timeout:   30 * time.Second,
	})
	if err != nil {
		t.Fatalf("connecting to istiod: %v", err)
	}
	t.Cleanup(func() { _ = probe.Close() })
	f.RouteChecks = append(f.RouteChecks, f.xdsCheck(probe, "a sidecar in "+f.Namespace))
	return ist
}

// WithMeshIstiods starts a real istiod for each named cluster of a cluster
// layout (a primary of one mesh), each with a remote secret for every
// other cluster of the fixture, and adds for each a route check that asks
// it over xDS, as a client sidecar in the release namespace of that
// cluster, how each service's requests are split and which cluster's pod
// IPs stand behind each share.
func (f *Fixture) WithMeshIstiods(t testing.TB, clusters ...string) []*devenv.Istiod {
	t.Helper()
	var out []*devenv.Istiod
	for _, name := range clusters {
		ist := devenv.StartMeshIstiod(t, f.In(name), f.all(), devenv.IstiodOptions{Env: []string{"PILOT_DEBOUNCE_AFTER=10ms"}})
		t.Logf("istiod of %s ready, with %d remote clusters, in %s", name, len(f.all())-1, ist.Ready.Round(time.Millisecond))
		probe, err := xdsprobe.New(context.Background(), xdsprobe.Options{
			GRPCAddr:  ist.GRPCAddr,
			DebugAddr: ist.HTTPAddr,
			Node:      xdsprobe.Sidecar(f.Namespace, ist.ClusterID),
			Timeout:   30 * time.Second,
		})
		if err != nil {
			t.Fatalf("connecting to istiod of %s: %v", name, err)
		}
		t.Cleanup(func() { _ = probe.Close() })
		f.RouteChecks = append(f.RouteChecks, f.xdsCheck(probe, "a sidecar in "+name+"/"+f.Namespace))
		out = append(out, ist)
	}
	return out
}

// WithIngressProbe adds a route check that asks ist over xDS, as the
// ingress gateway (istio: ingressgateway) of its cluster serving plain
// HTTP on port 80, how each service's requests are split and which pods'
// IPs stand behind each share: what the route bound to the layout's
// ingress Gateway makes of it.
func (f *Fixture) WithIngressProbe(t testing.TB, ist *devenv.Istiod) {
	t.Helper()
	probe, err := xdsprobe.New(context.Background(), xdsprobe.Options{
		GRPCAddr:  ist.GRPCAddr,
		DebugAddr: ist.HTTPAddr,
		Node:      xdsprobe.Router(devenv.IstiodNamespace, ist.ClusterID, map[string]string{"istio": "ingressgateway"}),
		Timeout:   30 * time.Second,
	})
	if err != nil {
		t.Fatalf("connecting to istiod of %s: %v", ist.ClusterID, err)
	}
	t.Cleanup(func() { _ = probe.Close() })
	f.RouteChecks = append(f.RouteChecks, f.xdsCheck(probe, "the ingress gateway of "+ist.ClusterID))
}

// xdsCheck waits until istiod's split of each service, as sent to client,
// equals want: the same weights, each served by the IPs of the running
// pods of that version in that namespace of that cluster.
func (f *Fixture) xdsCheck(probe *xdsprobe.Probe, client string) RouteCheck {
	return func(ctx context.Context, t testing.TB, after string, want []Expect) {
		t.Helper()
		for _, w := range want {
			wantShares := make([]string, 0, len(w.Shares))
			for _, s := range w.Shares {
				if s.Address != "" {
					wantShares = append(wantShares, shareKey(s.Weight, []string{s.Address}))
					continue
				}
				ips, err := f.In(s.Cluster).PodIPs(ctx, s.Namespace, fmt.Sprintf("app=%s,aviary.dev/version=%s", w.Service, s.Version))
				if err != nil {
					t.Fatal(err)
				}
				if len(ips) == 0 {
					t.Errorf("after %s: no running pod of %s %s in %s of cluster %q to expect behind %d%%", after, w.Service, s.Version, s.Namespace, s.Cluster, s.Weight)
				}
				wantShares = append(wantShares, shareKey(s.Weight, ips))
			}
			sort.Strings(wantShares)
			host := Host(w.Service, f.Namespace)
			var got xdsprobe.Split
			var gotShares []string
			deadline := time.Now().Add(30 * time.Second)
			for {
				var err error
				got, err = probe.Split(ctx, host, servicePort)
				gotShares = gotShares[:0]
				for _, s := range got.Shares {
					gotShares = append(gotShares, shareKey(s.Weight, s.IPs))
				}
				sort.Strings(gotShares)
				if err == nil && slices.Equal(gotShares, wantShares) {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("after %s: istiod sends %s, for %s:%d, %s (error %v);\nwant shares %v", after, client, host, servicePort, got, err, wantShares)
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
}

// shareKey names a share by its weight and its IPs, each once (kwok
// sometimes gives two pods one IP; istiod then has one endpoint for both).
func shareKey(weight int, ips []string) string {
	ips = slices.Clone(ips)
	sort.Strings(ips)
	ips = slices.Compact(ips)
	return fmt.Sprintf("%d%% %s", weight, strings.Join(ips, ","))
}
