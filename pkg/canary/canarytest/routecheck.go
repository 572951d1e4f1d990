package canarytest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/kube"
	"github.com/aviary-cd/aviary/pkg/traffic"
	"github.com/aviary-cd/aviary/pkg/traffic/istio"
)

// Share is a part of a service's traffic and the pods that serve it.
type Share struct {
	Weight int
	// Namespace and Version say which pods serve the share: those of the
	// service's Deployment of Version (as a label value) in Namespace.
	Namespace, Version string
	// Cluster is the kubeconfig context of the cluster the pods run in;
	// "" is the fixture's home cluster.
	Cluster string
	// Address, with separate meshes, is the ingress gateway of Cluster's
	// mesh that the deciding cluster sends the share to (its IP): the
	// address behind the share there; Cluster's ingress gateway then
	// routes to the pods.
	Address string
}

// SplitsRemote expects weight percent of service's traffic sent to the
// ingress gateway address of canaryCluster's mesh, where its pods of the
// canary version in namespace serve it, and the rest to the stable version
// in namespace of stableCluster (the home).
func SplitsRemote(service string, weight int, namespace, stableCluster, stable, canaryCluster, canary, address string) Expect {
	e := SplitsAcross(service, weight, namespace, stableCluster, stable, canaryCluster, canary)
	for i := range e.Shares {
		if e.Shares[i].Cluster == canaryCluster {
			e.Shares[i].Address = address
		}
	}
	return e
}

// Expect is where a service's traffic should go: its shares, in any order,
// without those of weight 0 (istiod drops them from what it sends the
// proxies).
type Expect struct {
	Service string
	Shares  []Share
}

// Serves expects all of service's traffic on version in namespace.
func Serves(service, namespace, version string) Expect {
	return Expect{Service: service, Shares: []Share{{Weight: 100, Namespace: namespace, Version: version}}}
}

// ServesIn expects all of service's traffic on version in namespace of
// cluster (a kubeconfig context of the fixture).
func ServesIn(service, cluster, namespace, version string) Expect {
	return Expect{Service: service, Shares: []Share{{Weight: 100, Namespace: namespace, Version: version, Cluster: cluster}}}
}

// SplitsAcross expects weight percent of service's traffic on the canary
// version in namespace of canaryCluster and the rest on the stable version
// in namespace of stableCluster.
func SplitsAcross(service string, weight int, namespace, stableCluster, stable, canaryCluster, canary string) Expect {
	e := Expect{Service: service}
	if weight < 100 {
		e.Shares = append(e.Shares, Share{Weight: 100 - weight, Namespace: namespace, Version: stable, Cluster: stableCluster})
	}
	if weight > 0 {
		e.Shares = append(e.Shares, Share{Weight: weight, Namespace: namespace, Version: canary, Cluster: canaryCluster})
	}
	return e
}

// Splits expects weight percent of service's traffic on the canary version
// in canaryNS and the rest on the stable version in stableNS.
func Splits(service string, weight int, stableNS, stable, canaryNS, canary string) Expect {
	e := Expect{Service: service}
	if weight < 100 {
		e.Shares = append(e.Shares, Share{Weight: 100 - weight, Namespace: stableNS, Version: stable})
	}
	if weight > 0 {
		e.Shares = append(e.Shares, Share{Weight: weight, Namespace: canaryNS, Version: canary})
	}
	return e
}

// RouteCheck checks, after a step (named by after, for messages), that each
// service's traffic goes where want says. ObjectsCheck reads the route
// objects; a check asking istiod over xDS for the routes and endpoints a
// sidecar receives plugs in beside it (append to Fixture.RouteChecks).
type RouteCheck func(ctx context.Context, t testing.TB, after string, want []Expect)

// Check runs the fixture's route checks after a step.
func (f *Fixture) Check(t testing.TB, after string, want ...Expect) {
	t.Helper()
	for _, check := range f.RouteChecks {
		check(context.Background(), t, after, want)
	}
}

// ObjectsCheck reads what istiod would: the VirtualService of each service
// in the release namespace of the home cluster (aviary's route of it), each
// destination's host resolved to its namespace and its subset to the
// version (and, for a cluster subset, the cluster) its DestinationRule in
// that namespace selects. It checks the shares against want and that ready
// pods of that version run in that namespace, in that cluster, behind the
// service's Service.
func (f *Fixture) ObjectsCheck(ctx context.Context, t testing.TB, after string, want []Expect) {
	t.Helper()
	c, err := kube.Connect(ctx, kube.Options{Kubeconfig: f.Cluster.Kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	ic := IstioClient(t, c)
	r := istio.New(ic)
	for _, w := range want {
		vs, err := ic.NetworkingV1().VirtualServices(f.Namespace).Get(ctx, w.Service, metav1.GetOptions{})
		if err != nil {
			t.Errorf("after %s: VirtualService %s/%s: %v", after, f.Namespace, w.Service, err)
			continue
		}
		if !slices.Contains(vs.Spec.Hosts, Host(w.Service, f.Namespace)) && !slices.Contains(vs.Spec.Hosts, w.Service) {
			t.Errorf("after %s: VirtualService %s/%s routes hosts %v, not the service's %s", after, f.Namespace, w.Service, vs.Spec.Hosts, Host(w.Service, f.Namespace))
		}
		var got []Share
		for _, d := range istio.RouteOf(vs, w.Service).Weights {
			if d.Weight == 0 {
				continue
			}
			if strings.HasSuffix(d.Destination.Host, ".global") {
				got = append(got, Share{Weight: d.Weight, Address: f.entryAddress(ctx, t, ic, d.Destination.Host)})
				continue
			}
			ns := namespaceOf(d.Destination.Host, f.Namespace)
			version, cluster := "", f.home()
			if d.Destination.Subset != "" {
				rules, err := r.Subsets(ctx, trafficService(ns, w.Service))
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range rules {
					if s.Name == d.Destination.Subset {
						version = s.Labels["aviary.dev/version"]
						if id := s.Labels["topology.istio.io/cluster"]; id != "" {
							cluster = id // the fixture's cluster IDs are its context names
						}
					}
				}
				if version == "" {
					t.Errorf("after %s: %s routes to subset %s of %s, which no DestinationRule in %s defines", after, w.Service, d.Destination.Subset, d.Destination.Host, ns)
				}
			}
			got = append(got, Share{Weight: d.Weight, Namespace: ns, Version: version, Cluster: cluster})
		}
		sortShares(got)
		wantShares := slices.Clone(w.Shares)
		for i := range wantShares {
			if wantShares[i].Cluster == "" {
				wantShares[i].Cluster = f.home()
			}
			if wantShares[i].Address != "" {
				// The route names the address; its ingress check follows it.
				wantShares[i] = Share{Weight: wantShares[i].Weight, Address: wantShares[i].Address}
			}
		}
		sortShares(wantShares)
		if diff := cmp.Diff(wantShares, got); diff != "" {
			t.Errorf("after %s: traffic of %s (-want +got):\n%s", after, w.Service, diff)
			continue
		}
		for _, s := range got {
			if s.Version == "" || s.Address != "" {
				continue
			}
			pods, err := f.In(s.Cluster).Client().CoreV1().Pods(s.Namespace).List(ctx, metav1.ListOptions{LabelSelector: fmt.Sprintf("app=%s,aviary.dev/version=%s", w.Service, s.Version)})
			if err != nil {
				t.Fatal(err)
			}
			if ready(pods.Items) == 0 {
				t.Errorf("after %s: %d%% of %s goes to version %s in %s of cluster %q, where no pod of it is ready", after, s.Weight, w.Service, s.Version, s.Namespace, s.Cluster)
			}
		}
	}
}

// entryAddress is the address of the endpoint of the ServiceEntry in the
// release namespace that makes host a mesh host.
func (f *Fixture) entryAddress(ctx context.Context, t testing.TB, ic istioclient.Interface, host string) string {
	t.Helper()
	list, err := ic.NetworkingV1().ServiceEntries(f.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, se := range list.Items {
		if slices.Contains(se.Spec.Hosts, host) && len(se.Spec.Endpoints) > 0 {
			return se.Spec.Endpoints[0].Address
		}
	}
	t.Errorf("no ServiceEntry in %s makes %s a host", f.Namespace, host)
	return ""
}

// home is the kubeconfig context of the home cluster ("" for one cluster).
func (f *Fixture) home() string {
	if len(f.Layout.Clusters) == 0 {
		return ""
	}
	return f.Layout.Clusters[0]
}

func namespaceOf(host, fallback string) string {
	parts := strings.Split(host, ".")
	if len(parts) >= 2 && strings.HasSuffix(host, ".svc.cluster.local") {
		return parts[1]
	}
	return fallback
}

func ready(pods []corev1.Pod) int {
	n := 0
	for _, p := range pods {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue && p.DeletionTimestamp == nil {
				n++
			}
		}
	}
	return n
}

func trafficService(namespace, name string) traffic.Service {
	return traffic.Service{Namespace: namespace, Name: name}
}

func sortShares(s []Share) {
	slices.SortFunc(s, func(a, b Share) int {
		return strings.Compare(fmt.Sprint(a.Cluster, a.Namespace, a.Version, a.Weight), fmt.Sprint(b.Cluster, b.Namespace, b.Version, b.Weight))
	})
}

// IstioClient returns an Istio client of the cluster c talks to.
func IstioClient(t testing.TB, c *kube.Clients) istioclient.Interface {
	t.Helper()
	ic, err := istioclient.NewForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	return ic
}
