package kube

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// AnnotationApplied is set by ApplyChanged on what it applies: a digest of
// the object as given (without this annotation). An object whose live copy
// carries the same digest and still holds every field and value given was
// applied unchanged before, and is not applied again.
const AnnotationApplied = "aviary.dev/applied"

// ApplyChanged server-side applies the objects of objs that would change,
// as Apply does, with up to parallel requests in flight (0 means 16), and
// returns how many it applied. It reads the objects already there with one
// list per kind and namespace instead of a request per object, and skips
// an object when the live copy was applied from the very same object
// (AnnotationApplied) and nobody has changed a field of it since (every
// field and value given is still there). Anything else, an object absent
// or one it cannot compare, is applied.
func (c *Clients) ApplyChanged(ctx context.Context, objs []*unstructured.Unstructured, parallel int) (int, error) {
	marked := make([]*unstructured.Unstructured, len(objs))
	for i, o := range objs {
		m, err := markApplied(o)
		if err != nil {
			return 0, err
		}
		marked[i] = m
	}
	live, err := c.listLike(ctx, marked)
	if err != nil {
		return 0, err
	}
	var todo []*unstructured.Unstructured
	for _, o := range marked {
		if have, ok := live[objectKey(o)]; ok && Unchanged(o, have) {
			continue
		}
		todo = append(todo, o)
	}
	return len(todo), c.ApplyAll(ctx, todo, parallel)
}

// markApplied returns a copy of obj carrying the digest of obj in
// AnnotationApplied.
func markApplied(obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	out := obj.DeepCopy()
	ann := out.GetAnnotations()
	delete(ann, AnnotationApplied)
	if len(ann) == 0 {
		ann = nil
	}
	out.SetAnnotations(ann)
	data, err := json.Marshal(out.Object) // map keys in order: the same object, the same bytes
	if err != nil {
		return nil, outcome.Invalidf("encoding %s %q: %w", obj.GetKind(), obj.GetName(), err)
	}
	sum := sha256.Sum256(data)
	if ann == nil {
		ann = map[string]string{}
	}
	ann[AnnotationApplied] = hex.EncodeToString(sum[:16])
	out.SetAnnotations(ann)
	return out, nil
}

// Unchanged reports whether applying want would leave have as it is: have
// carries want's AnnotationApplied digest (so no field was dropped from
// what was applied before) and holds every field of want with its value
// (so nobody changed one since). A field the server added or defaulted
// does not count.
func Unchanged(want, have *unstructured.Unstructured) bool {
	d := want.GetAnnotations()[AnnotationApplied]
	return d != "" && have.GetAnnotations()[AnnotationApplied] == d && covers(want.Object, have.Object)
}

// covers reports whether have holds every field of want with an equal
// value; lists must match item by item.
func covers(want, have any) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			hv, ok := h[k]
			if !ok {
				if wv == nil {
					continue
				}
				return false
			}
			if !covers(wv, hv) {
				return false
			}
		}
		return true
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			return false
		}
		for i := range w {
			if !covers(w[i], h[i]) {
				return false
			}
		}
		return true
	default:
		if wn, ok := number(want); ok {
			hn, ok := number(have)
			return ok && wn == hn
		}
		return want == have
	}
}

// number is v as a float64 when it is a JSON number (int64 from YAML,
// float64 from encoding/json).
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// kindIn is one kind in one namespace: one list.
type kindIn struct {
	gvk       schema.GroupVersionKind
	namespace string
}

// objectKey names obj among the objects of every kind.
func objectKey(obj *unstructured.Unstructured) string {
	return obj.GroupVersionKind().String() + "|" + obj.GetNamespace() + "/" + obj.GetName()
}

// listLike lists, once per kind and namespace, the objects of the kinds
// objs have where they are, keyed by objectKey. A kind the server does
// not serve (Apply names it) or that the step may not list is left out:
// its objects are applied.
func (c *Clients) listLike(ctx context.Context, objs []*unstructured.Unstructured) (map[string]*unstructured.Unstructured, error) {
	groups := map[kindIn]dynamic.ResourceInterface{}
	for _, o := range objs {
		k := kindIn{o.GroupVersionKind(), o.GetNamespace()}
		if _, ok := groups[k]; ok {
			continue
		}
		var ri dynamic.ResourceInterface
		err := Retry(ctx, func(context.Context) error {
			var err error
			ri, err = c.Resource(o)
			return err
		})
		if outcome.KindOf(err) == outcome.KindInvalid {
			continue
		}
		if err != nil {
			return nil, err
		}
		groups[k] = ri
	}
	out := map[string]*unstructured.Unstructured{}
	for k, ri := range groups {
		var list *unstructured.UnstructuredList
		err := Retry(ctx, func(ctx context.Context) error {
			var err error
			list, err = ri.List(ctx, metav1.ListOptions{})
			return err
		})
		if apierrors.IsForbidden(err) {
			continue
		}
		if err != nil {
			return nil, Classify(err, "listing %s in namespace %q", k.gvk.Kind, k.namespace)
		}
		for i := range list.Items {
			o := &list.Items[i]
			o.SetGroupVersionKind(k.gvk)
			out[objectKey(o)] = o
		}
	}
	return out, nil
}
