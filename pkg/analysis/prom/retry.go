package prom

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"time"

	"oras.land/oras-go/v2/registry/remote/retry"

	"github.com/aviary-cd/aviary/pkg/stall"
)

// Attempts bounds the tries of one query.
const Attempts = 3

// maxAnswer bounds the answer to one query, which is one number.
const maxAnswer = 16 << 20

// retrying wraps rt with bounded retries of what a busy or restarting
// Prometheus answers: 429 (honouring Retry-After up to a few seconds), 5xx
// other than 501, refused and reset connections, half-written answers and
// stalls (see package stall). Queries are reads, safe to repeat.
func retrying(rt http.RoundTripper) http.RoundTripper {
	return &retry.Transport{
		Base: whole{rt},
		Policy: func() retry.Policy {
			return &retry.GenericPolicy{
				Retryable: retryable,
				Backoff:   retry.DefaultBackoff,
				MinWait:   200 * time.Millisecond,
				MaxWait:   3 * time.Second,
				MaxRetry:  Attempts - 1,
			}
		},
	}
}

func retryable(resp *http.Response, err error) (bool, error) {
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return false, err
		}
		if stall.Is(err) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
			errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return true, nil
		}
		return false, err
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusRequestTimeout:
		return true, nil
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		return true, nil
	}
	return false, nil
}

// whole reads each answer whole within the round trip, so that an answer
// cut short is a round-trip error the retries see.
type whole struct{ rt http.RoundTripper }

func (w whole) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("reading the answer of %s: %w", req.URL.Host, err)
	}
	if len(body) > maxAnswer {
		return nil, fmt.Errorf("reading the answer of %s: more than %d bytes", req.URL.Host, maxAnswer)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
