package canarytest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/internal/faultproxy"
)

// Proxied returns an admin kubeconfig of every cluster of a cluster
// layout in which the cluster of context name is reached through a fault
// proxy (serving TLS with a certificate of its own), and the proxy: a test
// breaks that one cluster's requests with SetPlan.
func (f *Fixture) Proxied(t testing.TB, name string) (*faultproxy.Proxy, string) {
	t.Helper()
	c, ok := f.Clusters[name]
	if !ok {
		t.Fatalf("the fixture has no cluster %q", name)
	}
	p, kc := APIServerProxy(t, c)
	files := map[string]string{}
	for n, o := range f.Clusters {
		files[n] = o.Kubeconfig
	}
	files[name] = kc
	merged := filepath.Join(t.TempDir(), "kubeconfig")
	if err := devenv.MergeKubeconfigs(merged, files); err != nil {
		t.Fatal(err)
	}
	return p, merged
}

// APIServerProxy puts a fault proxy, serving TLS with a certificate of its
// own, in front of c's API server and returns it with an admin kubeconfig
// that goes through it.
func APIServerProxy(t testing.TB, c *devenv.Cluster) (*faultproxy.Proxy, string) {
	t.Helper()
	caPEM, err := os.ReadFile(c.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	upstream := http.DefaultTransport.(*http.Transport).Clone()
	upstream.TLSClientConfig = &tls.Config{RootCAs: pool}
	target, err := url.Parse(c.Server)
	if err != nil {
		t.Fatal(err)
	}
	serving, proxyCA, err := faultproxy.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	p := faultproxy.Start(t, faultproxy.Options{Target: target, Transport: upstream, TLS: serving, StallFor: time.Minute})
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	data := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: proxied, cluster: {server: %q, certificate-authority-data: %q}}]
users: [{name: admin, user: {token: %q}}]
contexts: [{name: proxied, context: {cluster: proxied, user: admin}}]
current-context: proxied
`, p.URL, base64.StdEncoding.EncodeToString(proxyCA), c.RESTConfig().BearerToken)
	if err := os.WriteFile(kc, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p, kc
}
