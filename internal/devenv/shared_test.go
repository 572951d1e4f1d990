package devenv_test

import (
	"context"
	"os"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/internal/devenv"
)

func TestMain(m *testing.M) { os.Exit(devenv.SharedM{M: m}.Run()) }

// TestSharedClusterIsResetBetweenTests lends one cluster to two tests in
// turn: the second gets the same cluster, without the first one's
// namespace and workloads, and can create them again under the same names.
func TestSharedClusterIsResetBetweenTests(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Kubernetes control plane")
	}
	opts := devenv.ClusterOptions{Name: "shared-reset"}
	var first *devenv.Cluster
	t.Run("first", func(t *testing.T) {
		var returned time.Time
		t.Cleanup(func() { t.Logf("reset in %s", time.Since(returned).Round(time.Millisecond)) })
		first = devenv.SharedCluster(t, opts)
		t.Cleanup(func() { returned = time.Now() })
		runDeployment(t, first)
	})
	t.Run("second", func(t *testing.T) {
		start := time.Now()
		c := devenv.SharedCluster(t, opts)
		t.Logf("borrowed in %s", time.Since(start).Round(time.Millisecond))
		if c != first {
			t.Fatalf("SharedCluster gave a new cluster %s, want the idle one %s", c.Dir, first.Dir)
		}
		_, err := c.Client().CoreV1().Namespaces().Get(context.Background(), "pooled", metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			t.Fatalf("getting namespace pooled after the reset: err = %v, want NotFound", err)
		}
		runDeployment(t, c)
	})
	t.Run("held", func(t *testing.T) {
		a := devenv.SharedCluster(t, opts)
		b := devenv.SharedCluster(t, opts)
		if a == b {
			t.Fatal("SharedCluster lent one cluster twice at once")
		}
	})
}

// runDeployment creates namespace pooled and a 2-replica Deployment in
// it, and waits until both pods run.
func runDeployment(t *testing.T, c *devenv.Cluster) {
	t.Helper()
	ctx := context.Background()
	if err := c.EnsureNamespace(ctx, "pooled"); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": "cart"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "cart"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(2)),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.com/cart:1"}}},
			},
		},
	}
	if _, err := c.Client().AppsV1().Deployments("pooled").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating Deployment pooled/cart: %v", err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		ips, err := c.PodIPs(ctx, "pooled", "app=cart")
		if err != nil {
			t.Fatal(err)
		}
		if len(ips) == 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pods of pooled/cart running after a minute: %v, want 2", ips)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
