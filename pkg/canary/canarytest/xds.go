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
	f.RouteChecks = append(f.RouteChecks, f.xdsCheck(probe))
	return ist
}

// xdsCheck waits until istiod's split of each service equals want: the
// same weights, each served by the IPs of the running pods of that version
// in that namespace.
func (f *Fixture) xdsCheck(probe *xdsprobe.Probe) RouteCheck {
	return func(ctx context.Context, t testing.TB, after string, want []Expect) {
		t.Helper()
		for _, w := range want {
			wantShares := make([]string, 0, len(w.Shares))
			for _, s := range w.Shares {
				ips, err := f.Cluster.PodIPs(ctx, s.Namespace, fmt.Sprintf("app=%s,aviary.dev/version=%s", w.Service, s.Version))
				if err != nil {
					t.Fatal(err)
				}
				if len(ips) == 0 {
					t.Errorf("after %s: no running pod of %s %s in %s to expect behind %d%%", after, w.Service, s.Version, s.Namespace, s.Weight)
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
					t.Errorf("after %s: istiod sends a sidecar in %s, for %s:%d, %s (error %v);\nwant shares %v", after, f.Namespace, host, servicePort, got, err, wantShares)
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
}

func shareKey(weight int, ips []string) string {
	ips = slices.Clone(ips)
	sort.Strings(ips)
	return fmt.Sprintf("%d%% %s", weight, strings.Join(ips, ","))
}
