package registry

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

// TestRealRegistryTLSAuth resolves images on a real Distribution registry
// serving HTTPS with its own CA and requiring basic authentication.
func TestRealRegistryTLSAuth(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real registry; skipped with -short")
	}
	reg := devenv.StartRegistry(t, devenv.RegistryOptions{TLS: true, Auth: true})
	tr := reg.Client().Transport
	d := pushImage(t, reg.Host+"/shop/api:1.0.0",
		remote.WithTransport(tr), remote.WithAuth(&authn.Basic{Username: reg.Username, Password: reg.Password}))
	ctx := context.Background()
	images := []string{reg.Host + "/shop/api:1.0.0"}

	got, err := New(Options{Transport: tr, Username: reg.Username, Password: reg.Password, CredentialHost: reg.Host}).ResolveImages(ctx, images, 4)
	if err != nil {
		t.Fatalf("ResolveImages() error: %v", err)
	}
	if got[0].Digest.String() != d {
		t.Errorf("digest = %s, want %s", got[0].Digest, d)
	}

	_, err = New(Options{Transport: tr, Username: reg.Username, Password: "wrong", CredentialHost: reg.Host}).ResolveImages(ctx, images, 4)
	if outcome.KindOf(err) != outcome.KindExternal || !strings.Contains(err.Error(), "wrong credentials for "+reg.Host) {
		t.Errorf("ResolveImages(wrong password) error = %v, want external wrong credentials", err)
	}

	// Without the CA: a TLS error, not a silent fall back to plain HTTP.
	_, err = New(Options{Transport: http.DefaultTransport, Attempts: 1, Username: reg.Username, Password: reg.Password, CredentialHost: reg.Host}).ResolveImages(ctx, images, 1)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("ResolveImages(unknown CA) error = %v, want a certificate error", err)
	}
}
