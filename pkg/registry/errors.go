package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/stall"
)

// IsNotFound reports whether err says the manifest, blob or tag does not
// exist.
func IsNotFound(err error) bool {
	if errors.Is(err, errdef.ErrNotFound) {
		return true
	}
	var er *errcode.ErrorResponse
	return errors.As(err, &er) && er.StatusCode == http.StatusNotFound
}

// IsAuth reports whether err is the registry refusing the credentials (401)
// or the access (403), or asking for credentials nobody gave.
func IsAuth(err error) bool {
	if errors.Is(err, auth.ErrBasicCredentialNotFound) {
		return true
	}
	var er *errcode.ErrorResponse
	return errors.As(err, &er) && (er.StatusCode == http.StatusUnauthorized || er.StatusCode == http.StatusForbidden)
}

// Classify gives a registry error its outcome for an operation on host
// (host[:port] or a layout directory): an already classified error and
// context cancellation are kept, refused credentials and every transport or
// server failure (after the retries) are outcome.External with a message that
// says which registry and what to check.
func (c *Client) Classify(err error, host string) error {
	if err == nil {
		return nil
	}
	if outcome.KindOf(err) != outcome.KindUnknown || errors.Is(err, context.Canceled) {
		return err
	}
	if IsAuth(err) {
		if realms := c.withheldFrom(host); len(realms) > 0 {
			return outcome.External(fmt.Errorf("registry %s refused access after its token service on %s was sent no credentials: aviary sends credentials only to the registry's own host: %w",
				host, strings.Join(realms, ", "), err))
		}
		if c.hasExplicitCredential(host) {
			return outcome.External(fmt.Errorf("wrong credentials for %s: the registry refused registry-username/registry-password: %w", host, err))
		}
		return outcome.External(fmt.Errorf("wrong or missing credentials for %s: log in (docker login %s) or set registry-username and registry-password: %w", host, host, err))
	}
	if stall.Is(err) {
		return outcome.External(fmt.Errorf("registry %s stalled: no answer within request-timeout %s, %d tries: %w",
			host, c.opts.RequestTimeout, c.opts.Attempts, err))
	}
	return outcome.External(fmt.Errorf("registry %s failed: %w", host, err))
}
