package registry

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// recorder remembers every Authorization header a server was sent.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.record(req)
		h.ServeHTTP(w, req)
	})
}

func (r *recorder) record(req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a := req.Header.Get("Authorization"); a != "" {
		r.seen = append(r.seen, a)
	}
	_ = req.ParseForm()
	if p := req.PostForm.Get("password") + req.PostForm.Get("refresh_token"); p != "" {
		r.seen = append(r.seen, "form:"+p)
	}
}

func (r *recorder) leaked(secret string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	enc := base64.StdEncoding.EncodeToString([]byte("ci:" + secret))
	for _, a := range r.seen {
		if strings.Contains(a, secret) || strings.Contains(a, enc) {
			return true
		}
	}
	return false
}

// TestCredentialsStayWithTheirHost resolves images on the registry the
// credentials are for and on a hostile one an untrusted plan names: the
// hostile registry must never see them.
func TestCredentialsStayWithTheirHost(t *testing.T) {
	own := memRegistry(t, basicAuth("ci", "s3cret"))
	pushImage(t, own+"/shop/api:1.0.0", remote.WithAuth(&staticAuth{"ci", "s3cret"}))
	var hostile recorder
	other := memRegistry(t, func(h http.Handler) http.Handler {
		// Asks for basic credentials first, as a registry would.
		return hostile.wrap(basicAuth("anyone", "anything")(h))
	})

	dockerDir := t.TempDir()
	entry := base64.StdEncoding.EncodeToString([]byte("ci:docker-s3cret"))
	cfg := filepath.Join(dockerDir, "config.json")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, `{"auths":{%q:{"auth":%q}}}`, own, entry), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		opts   Options
		secret string
	}{
		{"explicit", Options{Username: "ci", Password: "s3cret", CredentialHost: own, DockerConfig: filepath.Join(t.TempDir(), "none.json")}, "s3cret"},
		{"docker config", Options{DockerConfig: cfg}, "docker-s3cret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(tt.opts)
			ctx := context.Background()
			_, _ = c.ResolveImages(ctx, []string{own + "/shop/api:1.0.0"}, 1)
			_, err := c.ResolveImages(ctx, []string{other + "/shop/api:1.0.0"}, 1)
			if err == nil {
				t.Fatalf("ResolveImages(hostile) succeeded, want an auth error")
			}
			if hostile.leaked(tt.secret) || hostile.leaked("s3cret") {
				t.Errorf("the hostile registry %s was sent the credentials of %s: %q", other, own, hostile.seen)
			}
		})
	}
}

// TestTokenRealmOnAnotherHost: a registry whose bearer challenge names a
// token service on another host gets an anonymous token request there,
// never the credentials, and the error says why.
func TestTokenRealmOnAnotherHost(t *testing.T) {
	var realm recorder
	realmSrv := listenOn(t, "127.0.0.2", realm.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"token":"anonymous"}`)
	})))
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer granted" {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="http://%s/token",service="reg"`, realmSrv))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	t.Cleanup(reg.Close)
	host := strings.TrimPrefix(reg.URL, "http://")

	c := New(Options{Username: "ci", Password: "s3cret", CredentialHost: host, Attempts: 1})
	_, err := c.ResolveImages(context.Background(), []string{host + "/shop/api:1.0.0"}, 1)
	if err == nil {
		t.Fatal("ResolveImages() succeeded, want refused access")
	}
	if realm.leaked("s3cret") {
		t.Errorf("the token realm on %s was sent the credentials: %q", realmSrv, realm.seen)
	}
	if !strings.Contains(err.Error(), "sent no credentials") || outcome.KindOf(err) != outcome.KindExternal {
		t.Errorf("ResolveImages() error = %v (kind %v), want external naming the withheld realm", err, outcome.KindOf(err))
	}
}

// TestTokenRealmOnSameHost: a token service on the registry's own host (any
// port) gets the credentials.
func TestTokenRealmOnSameHost(t *testing.T) {
	var realm recorder
	realmSrv := httptest.NewServer(realm.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "ci" || p != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"token":"granted"}`)
	})))
	t.Cleanup(realmSrv.Close)
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer granted" {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="reg"`, realmSrv.URL))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	t.Cleanup(reg.Close)
	host := strings.TrimPrefix(reg.URL, "http://")
	c := New(Options{Username: "ci", Password: "s3cret", CredentialHost: host, Attempts: 1})
	_, err := c.ResolveImages(context.Background(), []string{host + "/shop/api:1.0.0"}, 1)
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("ResolveImages() error = %v, want not found (the token was granted)", err)
	}
}

func listenOn(t *testing.T, ip string, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

func TestRealmTrusted(t *testing.T) {
	tests := []struct {
		registry, scheme, realm string
		insecure                bool
		want                    bool
	}{
		{"ghcr.io", "https", "ghcr.io", false, true},
		{"registry.example.com:5000", "https", "registry.example.com", false, true},
		{"registry.example.com", "https", "auth.example.com", false, false},
		{"registry.example.com", "http", "registry.example.com", false, false},
		{"registry.example.com", "http", "registry.example.com", true, true},
		{"docker.io", "https", "auth.docker.io", false, true},
		{"registry-1.docker.io", "https", "auth.docker.io", false, true},
		{"ghcr.io", "https", "auth.docker.io", false, false},
		{"localhost:5000", "http", "localhost:5001", false, true},
		{"localhost:5000", "http", "evil.example.com", false, false},
	}
	for _, tt := range tests {
		c := New(Options{Insecure: tt.insecure})
		if got := c.realmTrusted(tt.registry, tt.scheme, tt.realm); got != tt.want {
			t.Errorf("realmTrusted(%q, %q, %q, insecure=%t) = %t, want %t", tt.registry, tt.scheme, tt.realm, tt.insecure, got, tt.want)
		}
	}
}
