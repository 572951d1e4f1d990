package devenv

import (
	"context"
	"fmt"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// StartNamedClusters starts a cluster per name in parallel for the test,
// each named (its kubeconfig context) and identified to Istio (its
// ClusterID) by its name, with a pod range of its own; they stop when the
// test ends. opts applies to each; its Name and ClusterID are ignored.
func StartNamedClusters(t testing.TB, names []string, opts ClusterOptions) []*Cluster {
	t.Helper()
	return startForTest(t, fmt.Sprintf("clusters %v", names), func(ctx context.Context) ([]*Cluster, error) {
		return NewNamedClusters(ctx, names, opts)
	})
}

// NewNamedClusters starts a cluster per name in parallel (see
// StartNamedClusters). On error none is left running.
func NewNamedClusters(ctx context.Context, names []string, opts ClusterOptions) ([]*Cluster, error) {
	all := make([]ClusterOptions, len(names))
	for i, name := range names {
		o := opts
		o.Name, o.ClusterID = name, name
		all[i] = o
	}
	return newAll(ctx, all)
}

// MergeKubeconfigs writes to path one kubeconfig holding the current
// context of each kubeconfig file of byContext under the context name it
// is keyed by, as a pipeline's kubeconfig reaches every cluster of a
// topology. The first key in order is the current context.
func MergeKubeconfigs(path string, byContext map[string]string) error {
	out := clientcmdapi.NewConfig()
	for name, file := range byContext {
		cfg, err := clientcmd.LoadFromFile(file)
		if err != nil {
			return fmt.Errorf("reading kubeconfig %s: %w", file, err)
		}
		cur, ok := cfg.Contexts[cfg.CurrentContext]
		if !ok {
			return fmt.Errorf("kubeconfig %s has no current context", file)
		}
		cluster, user := cfg.Clusters[cur.Cluster], cfg.AuthInfos[cur.AuthInfo]
		if cluster == nil || user == nil {
			return fmt.Errorf("kubeconfig %s: context %s names a cluster or user it lacks", file, cfg.CurrentContext)
		}
		out.Clusters[name] = cluster
		out.AuthInfos[name] = user
		out.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name, Namespace: cur.Namespace}
		if out.CurrentContext == "" || name < out.CurrentContext {
			out.CurrentContext = name
		}
	}
	if err := clientcmd.WriteToFile(*out, path); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return nil
}

// StartMeshIstiod starts istiod for c (StartIstiod) with a remote secret
// for every other cluster of clusters: the primary of a mesh whose other
// clusters are its remotes.
func StartMeshIstiod(t testing.TB, c *Cluster, clusters []*Cluster, opts IstiodOptions) *Istiod {
	t.Helper()
	for _, o := range clusters {
		if o != c {
			opts.Remotes = append(opts.Remotes, o)
		}
	}
	return StartIstiod(t, c, opts)
}
