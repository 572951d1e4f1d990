package devenv

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NewRoleKubeconfig creates a ServiceAccount, a Role with rules and a
// RoleBinding in namespace (creating the namespace if needed) and writes a
// kubeconfig that authenticates as that ServiceAccount with a token. It
// returns the kubeconfig's path: a least-privilege identity for a step.
func (c *Cluster) NewRoleKubeconfig(ctx context.Context, namespace string, rules []rbacv1.PolicyRule) (string, error) {
	return c.restrictedKubeconfig(ctx, namespace, rules, false)
}

// NewClusterRoleKubeconfig is NewRoleKubeconfig with a ClusterRole and a
// ClusterRoleBinding; the ServiceAccount lives in namespace.
func (c *Cluster) NewClusterRoleKubeconfig(ctx context.Context, namespace string, rules []rbacv1.PolicyRule) (string, error) {
	return c.restrictedKubeconfig(ctx, namespace, rules, true)
}

// KubeconfigForRole is NewRoleKubeconfig for a test.
func (c *Cluster) KubeconfigForRole(t testing.TB, namespace string, rules []rbacv1.PolicyRule) string {
	t.Helper()
	path, err := c.NewRoleKubeconfig(context.Background(), namespace, rules)
	if err != nil {
		t.Fatalf("creating a kubeconfig for a Role in %s: %v", namespace, err)
	}
	return path
}

// KubeconfigForClusterRole is NewClusterRoleKubeconfig for a test.
func (c *Cluster) KubeconfigForClusterRole(t testing.TB, namespace string, rules []rbacv1.PolicyRule) string {
	t.Helper()
	path, err := c.NewClusterRoleKubeconfig(context.Background(), namespace, rules)
	if err != nil {
		t.Fatalf("creating a kubeconfig for a ClusterRole: %v", err)
	}
	return path
}

func (c *Cluster) restrictedKubeconfig(ctx context.Context, namespace string, rules []rbacv1.PolicyRule, clusterWide bool) (string, error) {
	name := "aviary-" + randomHex(4)
	if err := c.EnsureNamespace(ctx, namespace); err != nil {
		return "", err
	}
	core, rbac := c.client.CoreV1(), c.client.RbacV1()
	meta := metav1.ObjectMeta{Name: name, Namespace: namespace}
	if _, err := core.ServiceAccounts(namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: meta}, metav1.CreateOptions{}); err != nil {
		return "", fmt.Errorf("creating ServiceAccount %s/%s: %w", namespace, name, err)
	}
	subjects := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: namespace}}
	if clusterWide {
		clusterMeta := metav1.ObjectMeta{Name: name}
		if _, err := rbac.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: clusterMeta, Rules: rules}, metav1.CreateOptions{}); err != nil {
			return "", fmt.Errorf("creating ClusterRole %s: %w", name, err)
		}
		binding := &rbacv1.ClusterRoleBinding{ObjectMeta: clusterMeta, Subjects: subjects,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}}
		if _, err := rbac.ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
			return "", fmt.Errorf("creating ClusterRoleBinding %s: %w", name, err)
		}
	} else {
		if _, err := rbac.Roles(namespace).Create(ctx, &rbacv1.Role{ObjectMeta: meta, Rules: rules}, metav1.CreateOptions{}); err != nil {
			return "", fmt.Errorf("creating Role %s/%s: %w", namespace, name, err)
		}
		binding := &rbacv1.RoleBinding{ObjectMeta: meta, Subjects: subjects,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name}}
		if _, err := rbac.RoleBindings(namespace).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
			return "", fmt.Errorf("creating RoleBinding %s/%s: %w", namespace, name, err)
		}
	}
	if err := c.WaitRulesInEffect(ctx, namespace, name, namespace, rules); err != nil {
		return "", err
	}
	expiry := int64((24 * time.Hour).Seconds())
	tr, err := core.ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("requesting a token for ServiceAccount %s/%s: %w", namespace, name, err)
	}
	path := filepath.Join(c.Dir, name+".kubeconfig")
	if err := writeKubeconfig(path, c.Name, c.Server, c.ca.certPEM, name, tr.Status.Token, namespace); err != nil {
		return "", err
	}
	return path, nil
}

// WaitRulesInEffect waits until the API server's authorizer grants
// ServiceAccount saNamespace/saName the first resource rule of rules in
// namespace. The RBAC authorizer reads Roles and bindings from informer
// caches, so a binding just created can be refused for a moment; a caller
// handed the kubeconfig must not see that.
func (c *Cluster) WaitRulesInEffect(ctx context.Context, saNamespace, saName, namespace string, rules []rbacv1.PolicyRule) error {
	attrs := firstResourceAttributes(namespace, rules)
	if attrs == nil {
		return nil
	}
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:               "system:serviceaccount:" + saNamespace + ":" + saName,
		Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:" + saNamespace, "system:authenticated"},
		ResourceAttributes: attrs,
	}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := c.client.AuthorizationV1().SubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err == nil && got.Status.Allowed {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("not allowed: %s", got.Status.Reason)
			}
			return fmt.Errorf("ServiceAccount %s/%s: its Role in %s is not in effect after 30s: %w", saNamespace, saName, namespace, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// firstResourceAttributes is what the first resource rule of rules allows,
// asked in namespace; nil when no rule names a resource.
func firstResourceAttributes(namespace string, rules []rbacv1.PolicyRule) *authorizationv1.ResourceAttributes {
	for _, r := range rules {
		if len(r.Resources) == 0 || len(r.Verbs) == 0 || len(r.APIGroups) == 0 {
			continue
		}
		resource, sub, _ := strings.Cut(r.Resources[0], "/")
		attrs := &authorizationv1.ResourceAttributes{
			Namespace: namespace, Verb: r.Verbs[0], Group: r.APIGroups[0], Resource: resource, Subresource: sub,
		}
		if len(r.ResourceNames) > 0 {
			attrs.Name = r.ResourceNames[0]
		}
		return attrs
	}
	return nil
}

// EnsureNamespace creates namespace if it does not exist.
func (c *Cluster) EnsureNamespace(ctx context.Context, namespace string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if _, err := c.client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", namespace, err)
	}
	return nil
}
