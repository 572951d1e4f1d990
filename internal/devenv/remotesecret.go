package devenv

import (
	"context"
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// remoteSecret returns the Secret that makes an istiod read a remote
// cluster, as "istioctl create-remote-secret" writes it: in istio-system,
// labelled istio/multiCluster=true, one key, the remote's cluster ID,
// holding a kubeconfig for it.
func remoteSecret(clusterID string, kubeconfig []byte) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name:        "istio-remote-secret-" + clusterID,
			Namespace:   IstiodNamespace,
			Labels:      map[string]string{"istio/multiCluster": "true"},
			Annotations: map[string]string{"networking.istio.io/cluster": clusterID},
		},
		Data: map[string][]byte{clusterID: kubeconfig},
	}
}

// addRemoteSecret writes into c the remote secret of remote (its admin
// kubeconfig; remote's API server is on loopback, as istiod is).
func addRemoteSecret(ctx context.Context, c, remote *Cluster) error {
	kubeconfig, err := os.ReadFile(remote.Kubeconfig)
	if err != nil {
		return fmt.Errorf("reading the kubeconfig of %s: %w", remote.Name, err)
	}
	if err := c.EnsureNamespace(ctx, IstiodNamespace); err != nil {
		return err
	}
	want := remoteSecret(remote.ClusterID, kubeconfig)
	secrets := c.client.CoreV1().Secrets(IstiodNamespace)
	_, err = secrets.Create(ctx, want, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		_, err = secrets.Update(ctx, want, metav1.UpdateOptions{})
	}
	if err != nil {
		return fmt.Errorf("writing the remote secret of %s into %s: %w", remote.ClusterID, c.Name, err)
	}
	return nil
}
