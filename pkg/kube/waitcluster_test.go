package kube_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/kube"
)

// TestWaitReadyOnARealCluster waits on a real API server, with a request
// timeout of 1 s, for a Deployment that can only become ready after 4 s:
// its watches end at the timeout (the stall bound cuts a watch that hears
// nothing), and the wait lists and watches again until it sees the
// Deployment ready.
func TestWaitReadyOnARealCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster")
	}
	ctx := context.Background()
	cl := devenv.SharedCluster(t, devenv.ClusterOptions{})
	if err := cl.EnsureNamespace(ctx, "wait"); err != nil {
		t.Fatal(err)
	}
	var lists, watches atomic.Int32
	cfg := cl.RESTConfig()
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripper(func(req *http.Request) (*http.Response, error) {
			if strings.HasSuffix(req.URL.Path, "/namespaces/wait/deployments") {
				if req.URL.Query().Get("watch") == "true" {
					watches.Add(1)
				} else {
					lists.Add(1)
				}
			}
			return rt.RoundTrip(req)
		})
	}
	c, err := kube.NewClients(cfg, kube.Options{RequestTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	one := int32(1)
	labels := map[string]string{"app": "cart"}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: "wait"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					// No node matches until the selector goes.
					NodeSelector: map[string]string{"aviary.dev/nowhere": "true"},
					Containers:   []corev1.Container{{Name: "app", Image: "example.com/cart:1"}},
				},
			},
		},
	}
	if _, err := cl.Client().AppsV1().Deployments("wait").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(4 * time.Second)
		patch := []byte(`{"spec":{"template":{"spec":{"nodeSelector":null}}}}`)
		if _, err := cl.Client().AppsV1().Deployments("wait").Patch(ctx, "cart", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Error(err)
		}
	}()
	var mu sync.Mutex
	var seen []string
	err = c.WaitReady(ctx, "wait", []string{"cart"}, kube.WaitOptions{
		Timeout: 2 * time.Minute,
		Progress: func(r kube.Readiness) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, r.String())
		},
	})
	wg.Wait()
	if err != nil {
		t.Fatalf("WaitReady = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 || seen[len(seen)-1] != "cart 1/1 ready" || !strings.HasPrefix(seen[0], "cart 0/1 ready") {
		t.Errorf("progress = %q, want from not ready to cart 1/1 ready", seen)
	}
	t.Logf("%d lists, %d watches", lists.Load(), watches.Load())
	// Each watch ends at the 1 s request timeout; a list follows it.
	if l, w := lists.Load(), watches.Load(); l < 2 || w < 2 || l > w+1 {
		t.Errorf("%d lists and %d watches, want a watch after each list, and more than one of each", l, w)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
