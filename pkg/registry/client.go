package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"syscall"
	"time"

	"oras.land/oras-go/v2"
	orasregistry "oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/retry"

	"github.com/aviary-cd/aviary/pkg/stall"
)

// DefaultAttempts bounds the tries of one request.
const DefaultAttempts = 5

// Client reaches registries and layouts with one set of options; it shares
// connections, tokens and credentials between the repositories it opens and
// is safe for concurrent use.
type Client struct {
	opts Options
	// retrying is the transport under every auth client: retries over base.
	retrying http.RoundTripper
	cache    auth.Cache
	hosts    sync.Map // registry host → *hostAuth

	base    http.RoundTripper
	schemes sync.Map // host → *probe, for probed hosts

	credOnce  sync.Once
	credFunc  auth.CredentialFunc
	credError error
}

// New returns a client. It reads no files until a registry asks for
// credentials.
func New(opts Options) *Client {
	if opts.Attempts <= 0 {
		opts.Attempts = DefaultAttempts
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "aviary"
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = stall.DefaultTimeout
	}
	base := opts.Transport
	if base == nil {
		tr := stall.Transport(opts.RequestTimeout)
		// Steps talk to a registry with many requests at once (digest
		// resolution, verification); Go's default keeps only 2 idle
		// connections per host and would open a new one for most of them.
		tr.MaxIdleConnsPerHost = 64
		base = tr
	}
	return &Client{
		opts: opts,
		base: base,
		retrying: &retry.Transport{
			Base:   wholeSmall{base},
			Policy: func() retry.Policy { return retryPolicy(opts.Attempts) },
		},
		cache: auth.NewCache(),
	}
}

// Options returns the client's options with defaults applied.
func (c *Client) Options() Options { return c.opts }

func retryPolicy(attempts int) retry.Policy {
	return &retry.GenericPolicy{
		Retryable: retryable,
		Backoff:   retry.DefaultBackoff,
		MinWait:   200 * time.Millisecond,
		MaxWait:   3 * time.Second,
		MaxRetry:  attempts - 1,
	}
}

// retryable retries what oras retries (timeouts, resets, 408, 429, 5xx),
// refused connections (a registry restarting is worth a few waits), a
// connection closed before or while the answer came, and stalls however
// deep they are wrapped (see package stall).
func retryable(resp *http.Response, err error) (bool, error) {
	if err != nil && !errors.Is(err, context.Canceled) &&
		(errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || stall.Is(err)) {
		return true, nil
	}
	return retry.DefaultPredicate(resp, err)
}

func withoutLoopback(prefixes []netip.Prefix) []netip.Prefix {
	return slices.DeleteFunc(prefixes, func(p netip.Prefix) bool {
		return p.Addr().IsLoopback()
	})
}

// Repository opens a registry repository; ref must not be a layout.
func (c *Client) Repository(ctx context.Context, ref Reference) (*remote.Repository, error) {
	if ref.IsLayout() {
		return nil, fmt.Errorf("%s is an OCI layout, not a registry repository", ref.Repo())
	}
	repo := &remote.Repository{
		Reference: orasregistry.Reference{Registry: ref.Registry, Repository: ref.Repository},
		PlainHTTP: c.plainHTTP(ctx, ref.Registry),
		Client:    c.authFor(ref.Registry),
	}
	return repo, nil
}

// Target opens the repository or layout ref names, for reading and writing.
// A layout directory is created when create is set; otherwise a missing
// layout is outcome.Invalid. A layout is read from regular files only (a
// named pipe or device in it is outcome.Invalid).
func (c *Client) Target(ctx context.Context, ref Reference, create bool) (oras.Target, error) {
	if !ref.IsLayout() {
		return c.Repository(ctx, ref)
	}
	return openLayout(ctx, ref.Layout, create)
}

// plainHTTP decides the scheme for host. Remote hosts get HTTPS unless
// Insecure is set. Loopback hosts, and every host when Insecure is set, are
// probed once, as crane does: HTTPS if the host speaks TLS, else plain HTTP.
func (c *Client) plainHTTP(ctx context.Context, host string) bool {
	if !c.opts.Insecure && !IsLoopback(host) {
		return false
	}
	v, _ := c.schemes.LoadOrStore(host, &probe{})
	p := v.(*probe)
	p.once.Do(func() { p.plain = c.probePlainHTTP(ctx, host) })
	return p.plain
}

// probe is the once-per-host answer of probePlainHTTP.
type probe struct {
	once  sync.Once
	plain bool
}

// probePlainHTTP asks https://host/v2/ once, without retries: a host that
// answers TLS gets HTTPS (even if its certificate then fails verification,
// so that the user sees why); any other outcome falls back to plain HTTP.
func (c *Client) probePlainHTTP(ctx context.Context, host string) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+host+"/v2/", nil)
	if err != nil {
		return true
	}
	resp, err := c.base.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
		return false
	}
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	if errors.As(err, &certErr) || errors.As(err, &unknownAuth) {
		return false
	}
	return true
}

// IsLoopback reports whether host[:port] is on loopback: localhost or a
// loopback address.
func IsLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.IsLoopback()
}
