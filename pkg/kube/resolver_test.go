package kube

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

func TestResolver(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: gone, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: gone, context: {cluster: gone, user: u}}]
current-context: gone
`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := NewResolver(Options{Kubeconfig: kc})
	set := &Clients{Host: "set"}
	r.Set("east", set)
	if c, err := r.Clients(context.Background(), "east"); err != nil || c != set {
		t.Errorf("Clients(east) = %v, %v; want the clients set", c, err)
	}
	if _, err := r.Clients(context.Background(), "nope"); outcome.KindOf(err) != outcome.KindInvalid {
		t.Errorf("Clients(nope) = %v, want an Invalid error for a context the kubeconfig lacks", err)
	}
	_, err := r.Clients(context.Background(), "")
	if outcome.KindOf(err) != outcome.KindExternal {
		t.Errorf("Clients(\"\") = %v, want an External error for an unreachable server", err)
	}
	if _, again := r.Clients(context.Background(), ""); again != err {
		t.Errorf("a second Clients(\"\") = %v, want the first connection's error %v", again, err)
	}
}
