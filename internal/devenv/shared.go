package devenv

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
)

// The shared clusters of a test process: a control plane takes 5 to 15 s
// to start, and most tests need only namespaces of their own, so a test
// borrows an idle cluster of the same options and gives it back, reset,
// when it ends. At most maxIdle wait, the least recently returned closed
// first: an idle control plane still costs CPU and memory.
var shared struct {
	sync.Mutex
	idle []idleCluster // oldest first
}

type idleCluster struct {
	key ClusterOptions
	c   *Cluster
}

// maxIdle is the most clusters the pool keeps: a three-cluster layout.
const maxIdle = 3

// SharedCluster is StartCluster from a pool kept for the test process: it
// lends the test an idle cluster started with the same options, or starts
// one, and takes it back when the test ends, after deleting every
// namespace the test created and waiting until they are gone, so the next
// test finds the cluster as it was after its start (its nodes, Istio's
// CRDs, the default namespaces). A cluster that cannot be reset, or whose
// test failed, is closed instead. Cluster-scoped objects a test creates stay; the ClusterRoles
// and bindings of KubeconfigForClusterRole have names of their own. Tests
// that stop a cluster's processes must use StartCluster. CloseShared (from
// TestMain) stops the idle clusters.
func SharedCluster(t testing.TB, opts ClusterOptions) *Cluster {
	t.Helper()
	return SharedNamedClusters(t, []string{opts.Name}, opts)[0]
}

// SharedNamedClusters is StartNamedClusters from the pool of SharedCluster:
// a cluster per name, named and identified to Istio by it ("" is
// SharedCluster's default name). The ones the pool lacks start in
// parallel.
func SharedNamedClusters(t testing.TB, names []string, opts ClusterOptions) []*Cluster {
	t.Helper()
	out := make([]*Cluster, len(names))
	var missing []ClusterOptions
	var at []int
	for i, name := range names {
		o := sharedKey(opts, name)
		if c := borrow(o); c != nil {
			out[i] = c
			continue
		}
		missing = append(missing, o)
		at = append(at, i)
	}
	// Give back whatever was borrowed if a start fails. A failed test's
	// clusters are closed instead: what it left (a goroutine still
	// writing, a state the reset does not know) must not reach the next
	// test, and its failure stays its own.
	t.Cleanup(func() {
		for i, c := range out {
			switch {
			case c == nil:
			case t.Failed():
				_ = c.Close()
			default:
				giveBack(sharedKey(opts, names[i]), c)
			}
		}
	})
	if len(missing) > 0 {
		started := startForTestUnowned(t, fmt.Sprintf("clusters %v", names), func(ctx context.Context) ([]*Cluster, error) {
			return newAll(ctx, missing)
		})
		for j, c := range started {
			out[at[j]] = c
		}
	}
	return out
}

// sharedKey is the pool key of the cluster named name with opts: the
// options NewCluster would fill in, filled in.
func sharedKey(opts ClusterOptions, name string) ClusterOptions {
	o := opts
	o.Name = name
	if o.Name == "" {
		o.Name = "cluster-1"
	}
	if opts.ClusterID == "" || name != opts.Name {
		o.ClusterID = o.Name
	}
	if o.Nodes <= 0 {
		o.Nodes = 1
	}
	return o
}

// borrow takes an idle cluster of key from the pool, or returns nil.
func borrow(key ClusterOptions) *Cluster {
	shared.Lock()
	defer shared.Unlock()
	for i := len(shared.idle) - 1; i >= 0; i-- {
		e := shared.idle[i]
		if e.key != key {
			continue
		}
		shared.idle = slices.Delete(shared.idle, i, i+1)
		if e.c.checkProcesses() == nil {
			return e.c
		}
		_ = e.c.Close()
	}
	return nil
}

// giveBack resets c and puts it back in the pool, or closes it when the
// reset fails; it closes the least recently returned beyond maxIdle.
func giveBack(key ClusterOptions, c *Cluster) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.reset(ctx, key.Nodes); err != nil {
		_ = c.Close()
		return
	}
	shared.Lock()
	shared.idle = append(shared.idle, idleCluster{key, c})
	var evicted []idleCluster
	if n := len(shared.idle) - maxIdle; n > 0 {
		evicted = slices.Clone(shared.idle[:n])
		shared.idle = slices.Delete(shared.idle, 0, n)
	}
	shared.Unlock()
	for _, e := range evicted {
		_ = e.c.Close()
	}
}

// CloseShared stops every idle cluster of the pool. TestMain calls it
// after the tests ran; clusters a test still holds are not touched.
func CloseShared() {
	shared.Lock()
	idle := shared.idle
	shared.idle = nil
	shared.Unlock()
	for _, e := range idle {
		_ = e.c.Close()
	}
}

// baseNamespaces are the namespaces of a new cluster.
var baseNamespaces = map[string]bool{"default": true, "kube-system": true, "kube-public": true, "kube-node-lease": true}

// reset returns c to the state of a new cluster with nodes nodes: it
// deletes every namespace but the base ones and waits until they are
// gone. It does the namespace controller's work itself — delete every
// object of every namespaced kind, wait until none is left, remove the
// namespace's finalizer — because the controller looks again only half a
// pod's grace period later and rediscovers the API for every namespace
// (5 to 15 s on a busy machine, as long as a new cluster takes). It fails
// when workloads were left in the default namespace or the nodes changed,
// which it does not undo.
func (c *Cluster) reset(ctx context.Context, nodes int) error {
	if err := c.checkProcesses(); err != nil {
		return err
	}
	if err := c.checkBaseline(ctx, nodes); err != nil {
		return err
	}
	core := c.client.CoreV1()
	nss, err := core.Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing namespaces: %w", err)
	}
	var doomed []corev1.Namespace
	for _, ns := range nss.Items {
		if baseNamespaces[ns.Name] {
			continue
		}
		// A terminating namespace takes no new objects, so no controller
		// refills it while it is emptied.
		if err := core.Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting namespace %s: %w", ns.Name, err)
		}
		doomed = append(doomed, ns)
	}
	if len(doomed) == 0 {
		return nil
	}
	kinds, err := c.namespacedKinds()
	if err != nil {
		return err
	}
	cfg := c.RESTConfig()
	cfg.WarningHandler = rest.NoWarnings{} // v1 Endpoints is deprecated
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("connecting to cluster %s: %w", c.Name, err)
	}
	for _, ns := range doomed {
		if err := emptyNamespace(ctx, dyn, kinds, ns.Name); err != nil {
			return err
		}
		// What the namespace controller does last: drop the
		// "kubernetes" finalizer, and the namespace goes.
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur, err := core.Namespaces().Get(ctx, ns.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			cur.Spec.Finalizers = nil
			_, err = core.Namespaces().Finalize(ctx, cur, metav1.UpdateOptions{})
			return err
		})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("finalizing namespace %s: %w", ns.Name, err)
		}
	}
	return poll(ctx, 50*time.Millisecond, func() (bool, error) {
		nss, err := core.Namespaces().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		for _, ns := range nss.Items {
			if !baseNamespaces[ns.Name] {
				return false, nil
			}
		}
		return true, nil
	})
}

// emptyNamespace deletes every object of kinds in namespace, pods at once
// (kwok would delete them a moment later anyway), and waits until none is
// left.
func emptyNamespace(ctx context.Context, dyn dynamic.Interface, kinds []namespacedKind, namespace string) error {
	now := int64(0)
	background := metav1.DeletePropagationBackground
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, k := range kinds {
		opts := metav1.DeleteOptions{PropagationPolicy: &background}
		if k.gvr.Group == "" && k.gvr.Resource == "pods" {
			opts.GracePeriodSeconds = &now
		}
		g.Go(func() error { return k.deleteAll(gctx, dyn, namespace, opts) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return poll(ctx, 50*time.Millisecond, func() (bool, error) {
		for _, k := range kinds {
			list, err := dyn.Resource(k.gvr).Namespace(namespace).List(ctx, metav1.ListOptions{Limit: 1})
			if err != nil && !apierrors.IsNotFound(err) {
				return false, fmt.Errorf("listing %s in %s: %w", k.gvr.Resource, namespace, err)
			}
			if err == nil && len(list.Items) > 0 {
				// Pods a ReplicaSet made before the namespace began
				// terminating, or dependents the garbage collector has
				// not reached yet.
				return false, k.deleteAll(ctx, dyn, namespace, metav1.DeleteOptions{GracePeriodSeconds: &now})
			}
		}
		return true, nil
	})
}

// namespacedKind is a kind reset deletes: one the API can list and delete,
// by collection or one by one.
type namespacedKind struct {
	gvr        schema.GroupVersionResource
	collection bool
}

// deleteAll deletes every object of k in namespace.
func (k namespacedKind) deleteAll(ctx context.Context, dyn dynamic.Interface, namespace string, opts metav1.DeleteOptions) error {
	r := dyn.Resource(k.gvr).Namespace(namespace)
	if k.collection {
		if err := r.DeleteCollection(ctx, opts, metav1.ListOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting %s in %s: %w", k.gvr.Resource, namespace, err)
		}
		return nil
	}
	list, err := r.List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing %s in %s: %w", k.gvr.Resource, namespace, err)
	}
	for _, o := range list.Items {
		if err := r.Delete(ctx, o.GetName(), opts); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting %s %s/%s: %w", k.gvr.Resource, namespace, o.GetName(), err)
		}
	}
	return nil
}

// namespacedKinds returns every namespaced kind of c the API can list and
// delete, discovered once: tests do not add kinds.
func (c *Cluster) namespacedKinds() ([]namespacedKind, error) {
	c.kindsOnce.Do(func() {
		lists, err := c.client.Discovery().ServerPreferredNamespacedResources()
		if err != nil {
			c.kindsErr = fmt.Errorf("discovering the namespaced kinds of cluster %s: %w", c.Name, err)
			return
		}
		for _, l := range discovery.FilteredBy(discovery.SupportsAllVerbs{Verbs: []string{"list", "delete"}}, lists) {
			gv, err := schema.ParseGroupVersion(l.GroupVersion)
			if err != nil {
				c.kindsErr = fmt.Errorf("discovering the namespaced kinds of cluster %s: %w", c.Name, err)
				return
			}
			for _, r := range l.APIResources {
				if strings.Contains(r.Name, "/") { // a subresource
					continue
				}
				c.kinds = append(c.kinds, namespacedKind{gvr: gv.WithResource(r.Name), collection: slices.Contains(r.Verbs, "deletecollection")})
			}
		}
	})
	return c.kinds, c.kindsErr
}

// checkBaseline fails when the default namespace holds workloads or the
// cluster has not nodes Ready nodes: a state reset does not restore.
func (c *Cluster) checkBaseline(ctx context.Context, nodes int) error {
	pods, err := c.client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing pods in default: %w", err)
	}
	if len(pods.Items) > 0 {
		return errors.New("the default namespace holds pods")
	}
	ns, err := c.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	ready := 0
	for _, n := range ns.Items {
		if nodeReady(n) && !n.Spec.Unschedulable && !hasTaint(n, corev1.TaintEffectNoSchedule) {
			ready++
		}
	}
	if len(ns.Items) != nodes || ready != nodes {
		return fmt.Errorf("%d of %d nodes schedulable, want %d", ready, len(ns.Items), nodes)
	}
	return nil
}

func hasTaint(n corev1.Node, effect corev1.TaintEffect) bool {
	for _, t := range n.Spec.Taints {
		if t.Effect == effect {
			return true
		}
	}
	return false
}

// SharedM wraps a package's testing.M (or testscript's) so that Run stops
// the shared clusters once the tests ran:
//
//	func TestMain(m *testing.M) { os.Exit(devenv.SharedM{M: m}.Run()) }
//
// Without it the clusters end with the test process (their processes die
// with it, their files are swept by the next run).
type SharedM struct{ M interface{ Run() int } }

// Run runs the tests, then CloseShared.
func (s SharedM) Run() int {
	defer CloseShared()
	return s.M.Run()
}
