package devenv

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
)

//go:embed assets/kwok/*.yaml assets/istio/customresourcedefinitions.gen.yaml
var assets embed.FS

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// kwokStages returns kwok's stage files as one multi-document YAML file.
func kwokStages() []byte {
	names, _ := fs.Glob(assets, "assets/kwok/*.yaml")
	sort.Strings(names)
	var b bytes.Buffer
	for _, name := range names {
		data, _ := assets.ReadFile(name)
		b.WriteString("---\n")
		b.Write(data)
		b.WriteString("\n")
	}
	return b.Bytes()
}

// IstioCRDs returns Istio's CustomResourceDefinitions (istio.io/api v1.32.0)
// as unstructured objects.
func IstioCRDs() ([]*unstructured.Unstructured, error) {
	data, err := assets.ReadFile("assets/istio/customresourcedefinitions.gen.yaml")
	if err != nil {
		return nil, fmt.Errorf("reading Istio CRDs: %w", err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 64*1024)
	var out []*unstructured.Unstructured
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("decoding Istio CRDs: %w", err)
		}
		if len(obj) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: obj})
	}
}

// bootstrap installs the CRDs, the nodes and the default ServiceAccount, and
// waits until pods can be scheduled.
func (c *Cluster) bootstrap(ctx context.Context, opts ClusterOptions) error {
	g, gctx := errgroup.WithContext(ctx)
	if !opts.SkipIstioCRDs {
		g.Go(func() error { return c.installCRDs(gctx) })
	}
	g.Go(func() error { return c.createNodes(gctx, opts.Nodes) })
	g.Go(func() error {
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: "default"}}
		_, err := c.client.CoreV1().ServiceAccounts("default").Create(gctx, sa, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating the default ServiceAccount: %w", err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return err
	}
	return c.waitNodesSchedulable(ctx, opts.Nodes)
}

func (c *Cluster) installCRDs(ctx context.Context) error {
	crds, err := IstioCRDs()
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		return fmt.Errorf("creating dynamic client: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, crd := range crds {
		g.Go(func() error {
			if _, err := dyn.Resource(crdResource).Create(gctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("creating CRD %s: %w", crd.GetName(), err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	// An established CRD's resource appears in discovery. Polling the small
	// discovery documents is far cheaper for the API server than listing
	// Istio's CRDs, whose schemas run to megabytes.
	want := map[string][]string{} // group/version -> plurals
	for _, crd := range crds {
		group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
		plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
		versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
		for _, v := range versions {
			m, _ := v.(map[string]any)
			if served, _ := m["served"].(bool); served {
				name, _ := m["name"].(string)
				want[group+"/"+name] = append(want[group+"/"+name], plural)
			}
		}
	}
	return poll(ctx, 100*time.Millisecond, func() (bool, error) {
		if err := c.checkProcesses(); err != nil {
			return false, err
		}
		for gv, plurals := range want {
			list, err := c.client.Discovery().ServerResourcesForGroupVersion(gv)
			if err != nil {
				return false, nil
			}
			served := map[string]bool{}
			for _, r := range list.APIResources {
				served[r.Name] = true
			}
			for _, p := range plurals {
				if !served[p] {
					return false, nil
				}
			}
		}
		return true, nil
	})
}

func (c *Cluster) createNodes(ctx context.Context, n int) error {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	for i := range n {
		name := fmt.Sprintf("kwok-node-%d", i+1)
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
				Labels: map[string]string{
					"type": "kwok", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
					"kubernetes.io/arch": "amd64", "kubernetes.io/role": "agent",
				},
			},
			Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
		}
		if _, err := c.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating node %s: %w", name, err)
		}
	}
	return nil
}

// waitNodesSchedulable waits until n nodes are Ready and carry no taint.
func (c *Cluster) waitNodesSchedulable(ctx context.Context, n int) error {
	return poll(ctx, 100*time.Millisecond, func() (bool, error) {
		if err := c.checkProcesses(); err != nil {
			return false, err
		}
		nodes, err := c.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		ready := 0
		for _, node := range nodes.Items {
			if nodeReady(node) && len(node.Spec.Taints) == 0 {
				ready++
			}
		}
		return ready >= n, nil
	})
}

func nodeReady(node corev1.Node) bool {
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}
