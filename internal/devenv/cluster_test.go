package devenv_test

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aviary-cd/aviary/internal/devenv"
)

// TestCluster runs its checks against one cluster to keep the package fast.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Kubernetes control plane")
	}
	start := time.Now()
	c := devenv.StartCluster(t, devenv.ClusterOptions{})
	t.Logf("cluster ready in %s", time.Since(start).Round(10*time.Millisecond))

	t.Run("DeploymentBecomesAvailable", func(t *testing.T) { testDeploymentAvailable(t, c) })
	t.Run("InvalidVirtualServiceRejected", func(t *testing.T) { testVirtualServiceSchema(t, c) })
	t.Run("RoleKubeconfigIsLeastPrivilege", func(t *testing.T) { testRoleKubeconfig(t, c) })
	t.Run("ClusterRoleKubeconfig", func(t *testing.T) { testClusterRoleKubeconfig(t, c) })
	t.Run("NewNamespaceGetsDefaultServiceAccount", func(t *testing.T) { testNamespaceServiceAccount(t, c) })
}

func testDeploymentAvailable(t *testing.T, c *devenv.Cluster) {
	ctx := context.Background()
	labels := map[string]string{"app": "reviews"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "reviews", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(3)),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.com/reviews:v1"}}},
			},
		},
	}
	start := time.Now()
	if _, err := c.Client().AppsV1().Deployments("default").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating Deployment: %v", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, err := c.Client().AppsV1().Deployments("default").Get(ctx, "reviews", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("getting Deployment: %v", err)
		}
		if deploymentAvailable(got) && got.Status.AvailableReplicas == 3 {
			t.Logf("Deployment Available with 3 replicas after %s", time.Since(start).Round(10*time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Deployment status after 60s = %+v, want Available with 3 replicas", got.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func deploymentAvailable(d *appsv1.Deployment) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

var virtualServices = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}

func virtualService(name string, weight any) *unstructured.Unstructured {
	route := func(subset string, w any) map[string]any {
		return map[string]any{"destination": map[string]any{"host": "reviews", "subset": subset}, "weight": w}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.istio.io/v1",
		"kind":       "VirtualService",
		"metadata":   map[string]any{"name": name, "namespace": "default"},
		"spec": map[string]any{
			"hosts": []any{"reviews"},
			"http":  []any{map[string]any{"route": []any{route("stable", int64(90)), route("canary", weight)}}},
		},
	}}
}

func testVirtualServiceSchema(t *testing.T, c *devenv.Cluster) {
	ctx := context.Background()
	dyn, err := dynamic.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	vs := dyn.Resource(virtualServices).Namespace("default")
	if _, err := vs.Create(ctx, virtualService("valid", int64(10)), metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating a valid VirtualService: %v", err)
	}
	_, err = vs.Create(ctx, virtualService("invalid", "ten"), metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "weight") {
		t.Errorf("creating a VirtualService with weight \"ten\" = %v, want an Invalid error naming the weight", err)
	}
}

func clientFor(t *testing.T, kubeconfig string) *kubernetes.Clientset {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatalf("loading %s: %v", kubeconfig, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func testRoleKubeconfig(t *testing.T, c *devenv.Cluster) {
	ctx := context.Background()
	path := c.KubeconfigForRole(t, "shop", []rbacv1.PolicyRule{{
		APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "create"},
	}})
	cs := clientFor(t, path)
	if _, err := cs.CoreV1().ConfigMaps("shop").List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("listing configmaps in its namespace = %v, want allowed", err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "plan"}}
	if _, err := cs.CoreV1().ConfigMaps("shop").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Errorf("creating a configmap in its namespace = %v, want allowed", err)
	}
	for name, call := range map[string]func() error{
		"list configmaps in default": func() error {
			_, err := cs.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{})
			return err
		},
		"list secrets in shop": func() error {
			_, err := cs.CoreV1().Secrets("shop").List(ctx, metav1.ListOptions{})
			return err
		},
		"delete a configmap in shop": func() error {
			return cs.CoreV1().ConfigMaps("shop").Delete(ctx, "plan", metav1.DeleteOptions{})
		},
	} {
		if err := call(); !apierrors.IsForbidden(err) {
			t.Errorf("%s = %v, want Forbidden", name, err)
		}
	}
}

func testClusterRoleKubeconfig(t *testing.T, c *devenv.Cluster) {
	ctx := context.Background()
	path := c.KubeconfigForClusterRole(t, "aviary-system", []rbacv1.PolicyRule{{
		APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"list"},
	}})
	cs := clientFor(t, path)
	if _, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("listing namespaces = %v, want allowed", err)
	}
	if err := cs.CoreV1().Namespaces().Delete(ctx, "default", metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("deleting namespace default = %v, want Forbidden", err)
	}
}

func testNamespaceServiceAccount(t *testing.T, c *devenv.Cluster) {
	ctx := context.Background()
	if err := c.EnsureNamespace(ctx, "fresh"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := c.Client().CoreV1().ServiceAccounts("fresh").Get(ctx, "default", metav1.GetOptions{})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("default ServiceAccount in a new namespace after 30s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func ptr[T any](v T) *T { return &v }
