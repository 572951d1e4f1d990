package registry

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

func memRegistry(t testing.TB, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// pushImage pushes a small random image as ref and returns its digest.
func pushImage(t testing.TB, ref string, opts ...remote.Option) string {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, opts...); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func TestResolveImages(t *testing.T) {
	host := memRegistry(t, nil)
	api := pushImage(t, host+"/shop/api:1.0.0")
	web := pushImage(t, host+"/shop/web:1.0.0")
	c := New(Options{})
	ctx := context.Background()

	got, err := c.ResolveImages(ctx, []string{host + "/shop/api:1.0.0", host + "/shop/web:1.0.0", host + "/shop/api:1.0.0"}, 2)
	if err != nil {
		t.Fatalf("ResolveImages() error: %v", err)
	}
	want := []string{host + "/shop/api@" + api, host + "/shop/web@" + web, host + "/shop/api@" + api}
	for i := range want {
		if got[i].Pinned() != want[i] {
			t.Errorf("ResolveImages()[%d].Pinned() = %s, want %s", i, got[i].Pinned(), want[i])
		}
	}

	// Every missing image is listed at once.
	_, err = c.ResolveImages(ctx, []string{host + "/shop/api:1.0.0", host + "/shop/db:1.0.0", host + "/shop/web:2.0.0", host + "/nothing/here:1"}, 4)
	var nf *NotFoundError
	if !errors.As(err, &nf) || outcome.KindOf(err) != outcome.KindInvalid {
		t.Fatalf("ResolveImages(missing) error = %v, want an invalid *NotFoundError", err)
	}
	wantMissing := []string{host + "/nothing/here:1", host + "/shop/db:1.0.0", host + "/shop/web:2.0.0"}
	if fmt.Sprint(nf.Refs) != fmt.Sprint(wantMissing) {
		t.Errorf("missing = %v, want %v", nf.Refs, wantMissing)
	}
}

func TestResolveUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := ln.Addr().String()
	ln.Close() // nothing listens there now
	c := New(Options{Attempts: 2})
	_, err = c.ResolveImages(context.Background(), []string{host + "/shop/api:1.0.0"}, 1)
	if outcome.KindOf(err) != outcome.KindExternal || !strings.Contains(err.Error(), host) {
		t.Errorf("ResolveImages(unreachable) error = %v, want external naming %s", err, host)
	}
}

// basicAuth guards a handler with HTTP basic authentication.
func basicAuth(user, pass string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, p, ok := r.BasicAuth()
			if !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestResolveCredentials(t *testing.T) {
	host := memRegistry(t, basicAuth("ci", "s3cret"))
	pushImage(t, host+"/shop/api:1.0.0", remote.WithAuth(&staticAuth{"ci", "s3cret"}))
	images := []string{host + "/shop/api:1.0.0"}
	ctx := context.Background()

	dockerDir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("ci:s3cret"))
	if err := os.WriteFile(filepath.Join(dockerDir, "config.json"), fmt.Appendf(nil, `{"auths":{%q:{"auth":%q}}}`, host, auth), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"explicit for this host", Options{Username: "ci", Password: "s3cret", CredentialHost: host}, ""},
		{"explicit for no host", Options{Username: "ci", Password: "s3cret"}, "not the registry host it is for"},
		{"docker config", Options{DockerConfig: filepath.Join(dockerDir, "config.json")}, ""},
		{"wrong password", Options{Username: "ci", Password: "nope", CredentialHost: host}, "wrong credentials for " + host},
		{"explicit for another host", Options{Username: "ci", Password: "s3cret", CredentialHost: "ghcr.io", DockerConfig: filepath.Join(t.TempDir(), "none.json")}, "wrong or missing credentials for " + host},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts).ResolveImages(ctx, images, 1)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ResolveImages() error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || outcome.KindOf(err) == outcome.KindUnknown {
				t.Errorf("ResolveImages() error = %v (kind %v), want %q", err, outcome.KindOf(err), tt.wantErr)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

type staticAuth struct{ user, pass string }

func (a *staticAuth) Authorization() (*authn.AuthConfig, error) {
	return &authn.AuthConfig{Username: a.user, Password: a.pass}, nil
}

// TestSchemeProbe checks a loopback registry speaking TLS gets HTTPS and a
// plain one gets HTTP.
func TestSchemeProbe(t *testing.T) {
	tlsSrv := httptest.NewUnstartedServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	tlsHost := strings.TrimPrefix(tlsSrv.URL, "https://")
	plainHost := memRegistry(t, nil)

	c := New(Options{Transport: tlsSrv.Client().Transport})
	ctx := context.Background()
	if c.plainHTTP(ctx, tlsHost) {
		t.Errorf("plainHTTP(TLS loopback registry) = true, want HTTPS")
	}
	if !c.plainHTTP(ctx, plainHost) {
		t.Errorf("plainHTTP(plain loopback registry) = false, want HTTP")
	}
	if c.plainHTTP(ctx, "ghcr.io") {
		t.Errorf("plainHTTP(ghcr.io) = true, want HTTPS without probing")
	}
	// And through the whole stack, with the test server's CA.
	pushImage(t, tlsHost+"/shop/api:1.0.0", remote.WithTransport(tlsSrv.Client().Transport))
	if _, err := c.ResolveImages(ctx, []string{tlsHost + "/shop/api:1.0.0"}, 1); err != nil {
		t.Errorf("ResolveImages(TLS registry) error: %v", err)
	}
	// Without the CA, TLS verification fails: no silent downgrade.
	_, err := New(Options{Attempts: 1}).ResolveImages(ctx, []string{tlsHost + "/shop/api:1.0.0"}, 1)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("ResolveImages(TLS registry, unknown CA) error = %v, want a certificate error", err)
	}
}
