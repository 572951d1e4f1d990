// Package canarytest builds the real environment the canary operations are
// tested in: a real cluster (kube-apiserver, controller-manager, scheduler,
// kwok, Istio CRDs) and a real Distribution registry from internal/devenv,
// with release plans packed by package plan and published to the registry,
// and their images pushed there, for a release in one of the namespace
// topologies (Layout). It is for tests only.
//
// After a step, a test says where each service's traffic should go
// (Serves, Splits) and Fixture.Check runs every RouteCheck of the fixture
// on it: ObjectsCheck reads the VirtualServices and DestinationRules as
// istiod would; a check asking istiod itself over xDS plugs in by appending
// to Fixture.RouteChecks.
package canarytest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/config"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/registry"
)

// Fixture is one cluster (or, for a cluster layout, one per context of
// Layout.Clusters) and one registry, and the topology a test releases
// into.
type Fixture struct {
	// Cluster is the one cluster, or the home cluster of a cluster layout
	// (the one holding the route, the lock and the record).
	Cluster *devenv.Cluster
	// Clusters are a cluster layout's clusters by kubeconfig context;
	// empty for one cluster.
	Clusters map[string]*devenv.Cluster
	// AdminKubeconfig reaches every cluster with admin rights, a context
	// per cluster of a cluster layout.
	AdminKubeconfig string
	Registry        *devenv.Registry
	// Namespace is the release namespace (the route's, the lock's).
	Namespace string
	Layout    Layout
	// RouteChecks run after every step a test checks (see Check); the
	// first is always ObjectsCheck.
	RouteChecks []RouteCheck
}

// Start starts a cluster and a registry for the test and creates
// namespace, for a single-cluster release into it. It skips the test under
// -short.
func Start(t testing.TB, namespace string) *Fixture {
	t.Helper()
	return StartLayout(t, SingleCluster(namespace), devenv.ClusterOptions{})
}

// StartWith is Start with cluster options (more kwok nodes for releases
// of many services: a node takes 110 pods).
func StartWith(t testing.TB, namespace string, opts devenv.ClusterOptions) *Fixture {
	t.Helper()
	return StartLayout(t, SingleCluster(namespace), opts)
}

// StartLayout starts a cluster and a registry for a release into layout
// and creates its namespaces. The clusters come from devenv's shared pool
// (devenv.SharedCluster): a cluster a test of the package used before,
// its namespaces deleted, so a test must not stop a cluster's processes or
// change its nodes; the package's TestMain stops them (devenv.SharedM).
func StartLayout(t testing.TB, layout Layout, opts devenv.ClusterOptions) *Fixture {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a real cluster and registry; skipped with -short")
	}
	f := &Fixture{
		Registry:  devenv.StartRegistry(t, devenv.RegistryOptions{}),
		Namespace: layout.Namespaces[0],
		Layout:    layout,
	}
	if len(layout.Clusters) == 0 {
		f.Cluster = devenv.SharedCluster(t, opts)
		f.AdminKubeconfig = f.Cluster.Kubeconfig
	} else {
		clusters := devenv.SharedNamedClusters(t, layout.Clusters, opts)
		f.Cluster, f.Clusters = clusters[0], map[string]*devenv.Cluster{}
		files := map[string]string{}
		for _, c := range clusters {
			f.Clusters[c.Name], files[c.Name] = c, c.Kubeconfig
		}
		f.AdminKubeconfig = filepath.Join(t.TempDir(), "kubeconfig")
		if err := devenv.MergeKubeconfigs(f.AdminKubeconfig, files); err != nil {
			t.Fatal(err)
		}
	}
	f.RouteChecks = []RouteCheck{f.ObjectsCheck}
	for _, c := range f.all() {
		for _, ns := range layout.Namespaces {
			if err := c.EnsureNamespace(context.Background(), ns); err != nil {
				t.Fatal(err)
			}
		}
	}
	return f
}

// all returns every cluster of the fixture, the home first.
func (f *Fixture) all() []*devenv.Cluster {
	if len(f.Layout.Clusters) == 0 {
		return []*devenv.Cluster{f.Cluster}
	}
	out := make([]*devenv.Cluster, len(f.Layout.Clusters))
	for i, name := range f.Layout.Clusters {
		out[i] = f.Clusters[name]
	}
	return out
}

// In returns the cluster of kubeconfig context name; "" is the home
// cluster.
func (f *Fixture) In(name string) *devenv.Cluster {
	if c, ok := f.Clusters[name]; ok {
		return c
	}
	return f.Cluster
}

// Service is one service of a test release.
type Service struct {
	Name string
	// Content goes into the image; equal content gives the same digest.
	// Empty is the release version, so that every release changes it.
	Content string
	// Replicas of the Deployment; 0 means 2.
	Replicas int
	// Unpushed leaves the image out of the registry.
	Unpushed bool
	// Unschedulable gives the pods a node selector no node matches, so
	// that the Deployment never becomes ready.
	Unschedulable bool
}

// Release is a published plan.
type Release struct {
	Ref     string
	Version string
	Loaded  *plan.Loaded
}

// Plan packs a plan of version for services in the fixture's layout,
// pushes their images, publishes it, and returns its reference by digest.
// configure, if set, edits the release config first.
func (f *Fixture) Plan(t testing.TB, version string, services []Service, configure func(*config.Config)) Release {
	t.Helper()
	ctx := context.Background()
	cfg := config.Config{
		Product:  "shop",
		Topology: f.Layout.Topology,
	}
	p := &plan.Plan{Version: version, Source: plan.Source{Commit: strings.Repeat("a", 40), Time: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}}
	files := map[string][]byte{}
	for _, s := range services {
		repo := f.Registry.Ref("shop/" + s.Name)
		content := s.Content
		if content == "" {
			content = version
		}
		digest := f.image(t, repo, content, !s.Unpushed)
		cfg.Services = append(cfg.Services, config.Service{Name: s.Name, Image: repo, Manifests: "deploy/" + s.Name, Port: 8080})
		p.Services = append(p.Services, plan.Service{Name: s.Name, Image: repo + "@" + digest, Tag: version, Port: 8080})
		files[s.Name+"/deployment.yaml"] = manifest(s, repo+":"+version)
	}
	if configure != nil {
		configure(&cfg)
	}
	p.Config = cfg
	a, err := plan.Pack(ctx, p, files)
	if err != nil {
		t.Fatalf("packing plan %s: %v", version, err)
	}
	ref, err := registry.ParseReference(f.Registry.Ref("shop/plans"))
	if err != nil {
		t.Fatal(err)
	}
	target, err := registry.New(registry.Options{}).Target(ctx, ref, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Publish(ctx, a, target, version); err != nil {
		t.Fatalf("publishing plan %s: %v", version, err)
	}
	pinned := ref.WithDigest(a.Descriptor.Digest).String()
	l, err := plan.Read(ctx, pinned, plan.ReadOptions{})
	if err != nil {
		t.Fatalf("reading back plan %s: %v", pinned, err)
	}
	return Release{Ref: pinned, Version: version, Loaded: l}
}

// image builds a one-layer image holding content and pushes it unless
// push is false; it returns the digest.
func (f *Fixture) image(t testing.TB, repo, content string, push bool) string {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, static.NewLayer([]byte(content), types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if push {
		ref, err := name.NewDigest(repo+"@"+d.String(), name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img); err != nil {
			t.Fatalf("pushing %s: %v", ref, err)
		}
	}
	return d.String()
}

func manifest(s Service, image string) []byte {
	replicas := s.Replicas
	if replicas == 0 {
		replicas = 2
	}
	nodeSelector := ""
	if s.Unschedulable {
		nodeSelector = "\n      nodeSelector: {aviary.dev/no-such-node: \"true\"}"
	}
	return fmt.Appendf(nil, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: %[2]d
  selector:
    matchLabels: {app: %[1]s}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:%[4]s
      containers:
      - name: %[1]s
        image: %[3]s
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata:
  name: %[1]s
spec:
  selector: {app: %[1]s}
  ports: [{name: http, port: 80, targetPort: 8080}]
`, s.Name, replicas, image, nodeSelector)
}

// Roles reads the Roles of examples/rbac/<layout>/<step>.yaml of this
// repository, one per namespace the step acts in.
func Roles(t testing.TB, layout, step string) []rbacv1.Role {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("examples", "rbac", layout, step+".yaml")
	data, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := plan.SplitDocuments(data)
	if err != nil {
		t.Fatal(err)
	}
	var roles []rbacv1.Role
	for _, doc := range docs {
		var role rbacv1.Role
		if err := yaml.UnmarshalStrict(doc, &role); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		roles = append(roles, role)
	}
	if len(roles) == 0 {
		t.Fatalf("%s holds no Role", file)
	}
	return roles
}

// KubeconfigFor returns a kubeconfig of an identity holding only the Roles
// of step for the fixture's layout (examples/rbac/<layout>/<step>.yaml),
// each in its namespace; for a cluster layout, each in the cluster of the
// target its aviary.dev/target annotation names, the kubeconfig holding a
// context per cluster.
func (f *Fixture) KubeconfigFor(t testing.TB, step string) string {
	t.Helper()
	roles := Roles(t, f.Layout.RolesDir(), step)
	if len(f.Layout.Clusters) == 0 {
		return kubeconfigIn(t, f.Cluster, roles)
	}
	byCluster := map[string][]rbacv1.Role{}
	for _, r := range roles {
		role := config.Role(r.Annotations["aviary.dev/target"])
		tg := f.Layout.Topology.Target(role)
		if tg == nil {
			t.Fatalf("examples/rbac/%s/%s.yaml: Role %s/%s names target %q (aviary.dev/target), which the layout lacks", f.Layout.RolesDir(), step, r.Namespace, r.Name, role)
		}
		byCluster[tg.Cluster] = append(byCluster[tg.Cluster], r)
	}
	files := map[string]string{}
	for _, name := range f.Layout.Clusters {
		if rs := byCluster[name]; len(rs) > 0 {
			files[name] = kubeconfigIn(t, f.Clusters[name], rs)
		}
	}
	merged := filepath.Join(t.TempDir(), "kubeconfig")
	if err := devenv.MergeKubeconfigs(merged, files); err != nil {
		t.Fatal(err)
	}
	return merged
}

// kubeconfigIn returns a kubeconfig of an identity of c holding only
// roles, each in its namespace.
func kubeconfigIn(t testing.TB, c *devenv.Cluster, roles []rbacv1.Role) string {
	t.Helper()
	kc := c.KubeconfigForRole(t, roles[0].Namespace, roles[0].Rules)
	if len(roles) == 1 {
		return kc
	}
	cfg, err := clientcmd.LoadFromFile(kc)
	if err != nil {
		t.Fatal(err)
	}
	sa := cfg.Contexts[cfg.CurrentContext].AuthInfo
	ctx := context.Background()
	rbac := c.Client().RbacV1()
	for _, r := range roles[1:] {
		role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: r.Namespace}, Rules: r.Rules}
		if _, err := rbac.Roles(r.Namespace).Create(ctx, role, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating Role %s/%s: %v", r.Namespace, sa, err)
		}
		binding := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: r.Namespace},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa, Namespace: roles[0].Namespace}},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: sa},
		}
		if _, err := rbac.RoleBindings(r.Namespace).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating RoleBinding %s/%s: %v", r.Namespace, sa, err)
		}
		if err := c.WaitRulesInEffect(ctx, roles[0].Namespace, sa, r.Namespace, r.Rules); err != nil {
			t.Fatal(err)
		}
	}
	return kc
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if data, _ := os.ReadFile(filepath.Join(dir, "go.mod")); strings.HasPrefix(string(data), "module github.com/aviary-cd/aviary\n") {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no aviary go.mod above the working directory")
		}
		dir = parent
	}
}

// Sorted returns the keys of m in order.
func Sorted[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
