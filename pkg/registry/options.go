package registry

import (
	"net/http"
	"time"
)

// Options says how to reach registries. The zero value is the secure default:
// TLS verified, plain HTTP only for loopback hosts, credentials from the
// Docker config (and credential helpers) it names, 5 attempts per request.
type Options struct {
	// Username and Password are sent to CredentialHost (host[:port]) alone,
	// instead of what the Docker config has for it; Password may be a token.
	// Other hosts get their Docker config entries. A Username without a
	// CredentialHost is invalid (Validate), so credentials given for one
	// registry never reach the other registries a plan names.
	Username       string
	Password       string
	CredentialHost string
	// Insecure allows plain HTTP to hosts that are not on loopback. Loopback
	// hosts (localhost, 127.0.0.0/8, ::1) always get plain HTTP, as in
	// crane. TLS, when used, is always verified.
	Insecure bool
	// DockerConfig is the path of a Docker config.json; empty looks at
	// DOCKER_CONFIG and then ~/.docker/config.json, as docker, oras and crane do.
	DockerConfig string
	// Attempts bounds tries per request on 5xx, 429 and connection errors;
	// 0 means 5.
	Attempts int
	// RequestTimeout bounds each try of a request while the registry is
	// silent: connecting, the TLS handshake, the wait for response headers
	// and each pause in a body (see package stall); 0 means
	// stall.DefaultTimeout. A try that runs into it is retried like a reset
	// connection. Ignored when Transport is set.
	RequestTimeout time.Duration
	// Transport is the HTTP transport under the retries; nil is
	// stall.Transport(RequestTimeout), a clone of http.DefaultTransport
	// (which honours HTTPS_PROXY, and SSL_CERT_FILE through the system
	// roots) bounded by RequestTimeout.
	Transport http.RoundTripper
	// UserAgent names the caller in requests; empty is "aviary".
	UserAgent string
}
