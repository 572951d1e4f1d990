package kube

import (
	"context"
	"encoding/json"
	"fmt"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// Resource returns the dynamic client for obj's kind, in obj's namespace
// when the kind is namespaced. A kind the cluster does not serve is an
// Invalid error (most often a CRD that is not installed).
func (c *Clients) Resource(obj *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := obj.GroupVersionKind()
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		c.Mapper.Reset() // a CRD may have been installed since discovery
		m, err = c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if meta.IsNoMatchError(err) {
		return nil, outcome.Invalidf("%s %q: the cluster does not serve kind %s (is its CRD installed?)", gvk.Kind, obj.GetName(), gvk)
	}
	if err != nil {
		return nil, Classify(err, "mapping kind %s", gvk)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if obj.GetNamespace() == "" {
			return nil, outcome.Invalidf("%s %q has no namespace", gvk.Kind, obj.GetName())
		}
		return c.Dynamic.Resource(m.Resource).Namespace(obj.GetNamespace()), nil
	}
	return c.Dynamic.Resource(m.Resource), nil
}

// Apply server-side applies obj under the aviary field manager, forcing
// conflicts: the fields obj names become aviary's, fields it leaves out keep
// their owners.
func (c *Clients) Apply(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	var ri dynamic.ResourceInterface
	err := Retry(ctx, func(context.Context) error { // discovery may meet a busy server too
		var err error
		ri, err = c.Resource(obj)
		return err
	})
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, outcome.Invalidf("encoding %s %q: %w", obj.GetKind(), obj.GetName(), err)
	}
	force := true
	var out *unstructured.Unstructured
	err = Retry(ctx, func(ctx context.Context) error {
		var err error
		out, err = ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: FieldManager, Force: &force})
		return err
	})
	if err != nil {
		return nil, Classify(err, "applying %s %s", obj.GetKind(), Ref(obj))
	}
	return out, nil
}

// ApplyAll applies objs with up to parallel requests in flight (0 means
// 16), stopping at the first error.
func (c *Clients) ApplyAll(ctx context.Context, objs []*unstructured.Unstructured, parallel int) error {
	if parallel <= 0 {
		parallel = 16
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for _, o := range objs {
		g.Go(func() error {
			_, err := c.Apply(ctx, o)
			return err
		})
	}
	return g.Wait()
}

// Ref names an object for messages: namespace/name, or name when cluster
// scoped.
func Ref(obj metav1.Object) string {
	if obj.GetNamespace() == "" {
		return obj.GetName()
	}
	return fmt.Sprintf("%s/%s", obj.GetNamespace(), obj.GetName())
}
