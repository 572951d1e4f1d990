package registry

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"

	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// Credentials belong to hosts. The explicit Username and Password go to
// Options.CredentialHost alone; the Docker config's entries go to the host
// each is written for; and whichever a registry host gets is sent only to
// that host: a bearer token realm on another host (or reached over plain
// HTTP off loopback without Options.Insecure) gets an anonymous token
// request, never the credentials. The one cross-host realm trusted is
// Docker Hub's own (registry-1.docker.io → auth.docker.io), run by the same
// operator under two names.

// Validate reports options that cannot work, before any request: a password
// without a user name, or explicit credentials without the host they belong
// to.
func (o Options) Validate() error {
	switch {
	case o.Password != "" && o.Username == "":
		return outcome.Invalidf("registry-password is set without registry-username")
	case o.Username != "" && o.CredentialHost == "":
		return outcome.Invalidf("registry-username is set but not the registry host it is for: set registry-host")
	case o.CredentialHost != "" && strings.ContainsAny(o.CredentialHost, "/ \t\n@"):
		return outcome.Invalidf("registry-host %q: give host[:port] only", o.CredentialHost)
	}
	return nil
}

// sameRegistryHost reports whether a and b (host[:port]) name one registry,
// counting Docker Hub's aliases as one.
func sameRegistryHost(a, b string) bool {
	return strings.EqualFold(canonicalHost(a), canonicalHost(b))
}

func canonicalHost(h string) string {
	switch strings.ToLower(h) {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		return "registry-1.docker.io"
	}
	return h
}

// realmTrusted reports whether a token endpoint at realmHost (host[:port]
// of the realm URL) over scheme may receive the credentials of registry.
func (c *Client) realmTrusted(registry, scheme, realmHost string) bool {
	if scheme != "https" && !c.opts.Insecure && !IsLoopback(realmHost) {
		return false
	}
	if sameRegistryHost(registry, realmHost) || sameHostname(registry, realmHost) {
		return true
	}
	return canonicalHost(registry) == "registry-1.docker.io" && strings.EqualFold(realmHost, "auth.docker.io")
}

// sameHostname compares host names without ports: a registry may serve its
// token endpoint on another port of the same host.
func sameHostname(a, b string) bool {
	return strings.EqualFold(hostname(a), hostname(b))
}

func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// credential finds the credential for a registry host: the explicit
// username and password when host is CredentialHost, else the Docker
// config and its credential helpers.
func (c *Client) credential(ctx context.Context, host string) (auth.Credential, error) {
	if err := c.opts.Validate(); err != nil {
		return auth.EmptyCredential, err
	}
	if c.hasExplicitCredential(host) {
		return auth.Credential{Username: c.opts.Username, Password: c.opts.Password}, nil
	}
	c.credOnce.Do(func() {
		var store credentials.Store
		var err error
		if c.opts.DockerConfig != "" {
			store, err = credentials.NewStore(c.opts.DockerConfig, credentials.StoreOptions{})
		} else {
			store, err = credentials.NewStoreFromDocker(credentials.StoreOptions{})
		}
		if err != nil {
			c.credError = outcome.Invalidf("reading the Docker config for registry credentials: %w", err)
			return
		}
		c.credFunc = credentials.Credential(store)
	})
	if c.credError != nil {
		return auth.EmptyCredential, c.credError
	}
	return c.credFunc(ctx, host)
}

// hasExplicitCredential reports whether host gets the explicit credential.
func (c *Client) hasExplicitCredential(host string) bool {
	return c.opts.Username != "" && c.opts.CredentialHost != "" && sameRegistryHost(c.opts.CredentialHost, host)
}

// authFor returns the auth client of one registry host: its HTTP client
// withholds credentials from token realms the host may not share them
// with (see realmTrusted), and remembers when it did so, for the message.
func (c *Client) authFor(host string) *auth.Client {
	if v, ok := c.hosts.Load(host); ok {
		return v.(*hostAuth).client
	}
	h := &hostAuth{}
	guard := &realmGuard{registry: host, trusted: c.realmTrusted, base: c.retrying, withheld: &h.withheld}
	h.client = &auth.Client{
		Client:     &http.Client{Transport: guard},
		Cache:      c.cache,
		Header:     http.Header{"User-Agent": {c.opts.UserAgent}},
		Credential: c.credential,
	}
	if IsLoopback(host) {
		// A local test registry may keep its token service on loopback too.
		h.client.BlockedRealmPrefixes = withoutLoopback(auth.DefaultBlockedRealmPrefixes())
	}
	v, _ := c.hosts.LoadOrStore(host, h)
	return v.(*hostAuth).client
}

// hostAuth is the auth client of one registry host.
type hostAuth struct {
	client   *auth.Client
	withheld sync.Map // realm host → struct{}
}

// withheldFrom lists the realm hosts credentials of host were kept from.
func (c *Client) withheldFrom(host string) []string {
	v, ok := c.hosts.Load(host)
	if !ok {
		return nil
	}
	var out []string
	v.(*hostAuth).withheld.Range(func(k, _ any) bool {
		out = append(out, k.(string))
		return true
	})
	return out
}

// realmGuard is the transport of one registry host's auth client. Requests
// to the registry itself pass; a request to any other host (a token realm)
// loses its Authorization header and, for an OAuth2 token POST, is refused,
// unless the realm is trusted for the registry.
type realmGuard struct {
	registry string
	trusted  func(registry, scheme, realmHost string) bool
	base     http.RoundTripper
	withheld *sync.Map
}

func (g *realmGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if sameRegistryHost(req.URL.Host, g.registry) || g.trusted(g.registry, req.URL.Scheme, req.URL.Host) {
		return g.base.RoundTrip(req)
	}
	if req.Method == http.MethodPost {
		// oras-go posts a refresh token or password to an OAuth2 realm.
		g.withheld.Store(req.URL.Host, struct{}{})
		return nil, fmt.Errorf("registry %s sent its token request to %s://%s: credentials are sent only to the registry's own host", g.registry, req.URL.Scheme, req.URL.Host)
	}
	if req.Header.Get("Authorization") != "" {
		g.withheld.Store(req.URL.Host, struct{}{})
		req = req.Clone(req.Context())
		req.Header.Del("Authorization")
	}
	return g.base.RoundTrip(req)
}
