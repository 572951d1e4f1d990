package devenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"

	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"           // registers "htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory" // registers "inmemory"
)

// RegistryOptions configures a registry. The zero value is a plain-HTTP
// registry without authentication.
type RegistryOptions struct {
	// TLS serves HTTPS with a certificate from a CA generated for this
	// registry alone (see Registry.CAFile and Registry.CAPool).
	TLS bool
	// Auth requires HTTP basic authentication (htpasswd, bcrypt) with
	// Registry.Username and Registry.Password.
	Auth bool
	// Username and Password override the generated credentials when Auth is set.
	Username, Password string
}

// Registry is a CNCF Distribution registry served in-process on loopback.
type Registry struct {
	// Host is "127.0.0.1:<port>", the registry part of an image reference.
	Host string
	// URL is "http://<Host>" or "https://<Host>".
	URL string
	// CAFile is the PEM file of the CA that signed the serving certificate
	// (TLS only).
	CAFile string
	// Username and Password are the credentials (Auth only).
	Username, Password string
	// DockerConfig is a directory holding a config.json with the
	// credentials, suitable for DOCKER_CONFIG (Auth only).
	DockerConfig string

	ca        *certAuthority
	srv       *http.Server
	dir       string
	closeOnce sync.Once
}

var silenceLogrus sync.Once

// NewRegistry starts a registry on a free loopback port. Close stops it.
func NewRegistry(ctx context.Context, opts RegistryOptions) (*Registry, error) {
	silenceLogrus.Do(func() {
		logrus.SetOutput(io.Discard)
		logrus.SetLevel(logrus.PanicLevel)
	})
	dir, err := newWorkDir("registry")
	if err != nil {
		return nil, err
	}
	r := &Registry{dir: dir}
	if err := r.start(ctx, opts); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return r, nil
}

// StartRegistry starts a registry for the test and stops it when the test ends.
func StartRegistry(t testing.TB, opts RegistryOptions) *Registry {
	t.Helper()
	r, err := NewRegistry(context.Background(), opts)
	if err != nil {
		t.Fatalf("starting registry: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func (r *Registry) start(ctx context.Context, opts RegistryOptions) error {
	cfg := &configuration.Configuration{
		Storage: configuration.Storage{
			"inmemory": configuration.Parameters{},
			"delete":   configuration.Parameters{"enabled": true},
			"maintenance": configuration.Parameters{"uploadpurging": map[interface{}]interface{}{
				"enabled": false,
			}},
		},
	}
	cfg.HTTP.Secret = randomHex(16)
	// Listen first: the Docker config written for Auth names the host.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening for the registry: %w", err)
	}
	r.Host = ln.Addr().String()
	r.URL = "http://" + r.Host
	if opts.Auth {
		r.Username, r.Password = opts.Username, opts.Password
		if r.Username == "" {
			r.Username = "aviary"
		}
		if r.Password == "" {
			r.Password = randomHex(12)
		}
		if err := r.writeCredentials(); err != nil {
			ln.Close()
			return err
		}
		cfg.Auth = configuration.Auth{"htpasswd": configuration.Parameters{
			"realm": "aviary-devenv",
			"path":  filepath.Join(r.dir, "htpasswd"),
		}}
	}
	app := handlers.NewApp(context.WithoutCancel(ctx), cfg)

	r.srv = &http.Server{Handler: app, ReadHeaderTimeout: 30 * time.Second, ErrorLog: discardLog()}
	if opts.TLS {
		if r.ca, err = newCertAuthority("aviary devenv registry CA"); err != nil {
			ln.Close()
			return err
		}
		r.CAFile = filepath.Join(r.dir, "ca.pem")
		if err := writeFile(r.CAFile, r.ca.certPEM); err != nil {
			ln.Close()
			return err
		}
		tlsCfg, err := r.ca.serverTLS()
		if err != nil {
			ln.Close()
			return err
		}
		ln = tls.NewListener(ln, tlsCfg)
		r.URL = "https://" + r.Host
	}
	go func() { _ = r.srv.Serve(ln) }()
	return nil
}

func (r *Registry) writeCredentials() error {
	hash, err := bcrypt.GenerateFromPassword([]byte(r.Password), bcrypt.MinCost)
	if err != nil {
		return fmt.Errorf("hashing registry password: %w", err)
	}
	if err := writeFile(filepath.Join(r.dir, "htpasswd"), []byte(r.Username+":"+string(hash)+"\n")); err != nil {
		return err
	}
	r.DockerConfig = filepath.Join(r.dir, "docker")
	if err := os.MkdirAll(r.DockerConfig, 0o700); err != nil {
		return fmt.Errorf("creating docker config directory: %w", err)
	}
	auth := base64.StdEncoding.EncodeToString([]byte(r.Username + ":" + r.Password))
	cfg, err := json.Marshal(map[string]any{"auths": map[string]any{r.Host: map[string]string{"auth": auth}}})
	if err != nil {
		return fmt.Errorf("encoding docker config: %w", err)
	}
	return writeFile(filepath.Join(r.DockerConfig, "config.json"), cfg)
}

// CAPool returns a pool holding the registry's CA (TLS only; nil otherwise).
func (r *Registry) CAPool() *x509.CertPool {
	if r.ca == nil {
		return nil
	}
	return r.ca.pool()
}

// Client returns an HTTP client that trusts the registry's CA. It does not
// add credentials.
func (r *Registry) Client() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if r.ca != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: r.ca.pool(), MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr}
}

// Ref returns "<Host>/<repository>".
func (r *Registry) Ref(repository string) string { return r.Host + "/" + repository }

// Close stops the registry and removes its files. It is safe to call twice.
func (r *Registry) Close() error {
	var err error
	r.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if r.srv != nil {
			if e := r.srv.Shutdown(ctx); e != nil && !errors.Is(e, http.ErrServerClosed) {
				_ = r.srv.Close()
			}
		}
		err = os.RemoveAll(r.dir)
	})
	return err
}
