package canary_test

import (
	"context"
	"slices"
	"testing"

	istioclient "istio.io/client-go/pkg/clientset/versioned"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/topology"
	"github.com/aviary-cd/aviary/pkg/traffic"
	"github.com/aviary-cd/aviary/pkg/traffic/istio"
)

// TestSeparateSteppedSwitch runs TestSteppedClusterSwitch's walk of a
// stepped blue/green switch across separate meshes (blue-green-clusters,
// topology.mesh: separate), an istiod per cluster and no remote secrets.
// Each cluster's route splits each service between its local host and a
// ServiceEntry host resolving to the other cluster's ingress gateway,
// which routes it to that side's stable subset whichever part the side
// plays in the switch. After every step each cluster's istiod is asked,
// as a client sidecar there, for the weights and what stands behind each
// (its own pods, or the other cluster's ingress address), and as the
// other cluster's ingress gateway where that host goes (the pods of the
// version the share stands for). It rolls the switch back at 0 %, mid-way
// and after the analysis said no, breaks the passive cluster's API server
// halfway through a shift and re-runs it, completes the switch and
// switches back.
func TestSeparateSteppedSwitch(t *testing.T) {
	rel, can := canarytest.ReleaseCluster, canarytest.CanaryCluster
	layout := canarytest.Separate(canarytest.BlueGreenClusters("shop"), map[string]string{rel: releaseIngressIP + ":8080", can: canaryIngressIP + ":8080"})
	f := canarytest.StartLayout(t, layout, devenv.ClusterOptions{})
	m := f.WithSeparateMeshes(t, 8080)
	// m.From(rel) checks the route objects of the release cluster too.
	roles := map[string]string{rel: "active", can: "passive"}
	f.RouteChecks = []canarytest.RouteCheck{fromEach(m, rel, can), ingressDefined(t, f, roles, rel, can)}
	proxy, kc := f.Proxied(t, can)
	// The steps run as admin here: examples' TestClusterRolesRunTheSteps
	// runs them with only the Roles of
	// examples/rbac/blue-green-clusters-separate.
	admin := map[string]string{}
	for _, step := range []string{"rebuild-cluster", "shift-weight", "promote", "rollback"} {
		admin[step] = f.AdminKubeconfig
	}
	s := &stepped{t: t, f: f, kubeconfigs: admin,
		serves: func(svc, side, version string) canarytest.Expect {
			return canarytest.ServesIn(svc, map[string]string{"active": rel, "passive": can}[side], "shop", version)
		},
		splits: func(svc string, w int) canarytest.Expect {
			return canarytest.SplitsAcross(svc, w, "shop", rel, "1.0.0", can, "1.1.0")
		},
	}
	s.walk(shiftBrokenHalfway(s, proxy, kc, can))
}

// fromEach checks, after a step, each named cluster's view of want (see
// viewFrom) with the meshes' route checks from there.
func fromEach(m *canarytest.Meshes, clusters ...string) canarytest.RouteCheck {
	return func(ctx context.Context, t testing.TB, after string, want []canarytest.Expect) {
		t.Helper()
		for _, c := range clusters {
			m.From(c)(ctx, t, after, viewFrom(c, want))
		}
	}
}

// viewFrom is want as cluster from sees it: a share on pods of another
// cluster is reached through that cluster's ingress gateway address.
func viewFrom(from string, want []canarytest.Expect) []canarytest.Expect {
	out := make([]canarytest.Expect, len(want))
	for i, w := range want {
		out[i] = canarytest.Expect{Service: w.Service}
		for _, s := range w.Shares {
			if s.Cluster != from {
				s = canarytest.Remote(s.Weight, s.Cluster, s.Namespace, s.Version, ingressOf[s.Cluster])
			}
			out[i].Shares = append(out[i].Shares, s)
		}
	}
	return out
}

// ingressDefined checks, from each named cluster, that every share of
// want in another cluster reaches, through that cluster's ingress
// VirtualService of the service (aviary-remote-<service>-<role>, roles
// naming each cluster's side), a subset that the service's
// DestinationRule there defines, selecting the share's version. istiod
// answers for a subset's cluster name with the endpoints of the host when
// the subset is not defined (the proxy, lacking the cluster, fails the
// request), so the xDS checks alone cannot tell.
func ingressDefined(t *testing.T, f *canarytest.Fixture, roles map[string]string, clusters ...string) canarytest.RouteCheck {
	clients := map[string]istioclient.Interface{}
	for _, c := range clusters {
		clients[c] = canarytest.IstioClient(t, clientsOf(t, f, c))
	}
	return func(ctx context.Context, t testing.TB, after string, want []canarytest.Expect) {
		t.Helper()
		for _, from := range clusters {
			for _, w := range viewFrom(from, want) {
				for _, s := range w.Shares {
					if s.Address == "" {
						continue
					}
					ic := clients[s.Cluster]
					name := "aviary-remote-" + w.Service + "-" + roles[s.Cluster]
					vs, err := ic.NetworkingV1().VirtualServices(s.Namespace).Get(ctx, name, metav1.GetOptions{})
					if err != nil {
						t.Errorf("after %s: the ingress VirtualService %s/%s/%s: %v", after, s.Cluster, s.Namespace, name, err)
						continue
					}
					subset := ""
					if len(vs.Spec.Http) > 0 && len(vs.Spec.Http[0].Route) > 0 {
						subset = vs.Spec.Http[0].Route[0].Destination.Subset
					}
					subsets, err := istio.New(ic).Subsets(ctx, traffic.Service{Namespace: s.Namespace, Name: w.Service})
					if err != nil {
						t.Fatal(err)
					}
					i := slices.IndexFunc(subsets, func(o traffic.Subset) bool { return o.Name == subset })
					if i < 0 || subsets[i].Labels[topology.VersionLabel] != s.Version {
						t.Errorf("after %s: the ingress of cluster %s, in %s, routes %d%% of %s from %s to subset %q, which its DestinationRule (%v) does not define as %s", after, s.Cluster, s.Namespace, s.Weight, w.Service, from, subset, subsets, s.Version)
					}
				}
			}
		}
	}
}
