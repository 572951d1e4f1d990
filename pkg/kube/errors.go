package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/stall"
)

// Classify wraps an error from the API server with what it was doing and
// the outcome kind a caller should report: Invalid for objects the server
// rejects as malformed, External for everything else. Context cancellation
// passes through unclassified; an already classified error keeps its kind.
func Classify(err error, doing string, args ...any) error {
	if err == nil {
		return nil
	}
	wrapped := fmt.Errorf(doing+": %w", append(args, err)...)
	switch {
	case errors.Is(err, context.Canceled):
		return wrapped
	case outcome.KindOf(err) != outcome.KindUnknown:
		return wrapped
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return outcome.Invalid(wrapped)
	case apierrors.IsForbidden(err):
		return outcome.External(fmt.Errorf("%w (the credentials lack a permission: see examples/rbac for the Role each step needs)", wrapped))
	case stall.Is(err):
		return outcome.External(fmt.Errorf("%w (the API server did not answer within the request timeout, retries included)", wrapped))
	default:
		return outcome.External(wrapped)
	}
}

// IsTransient reports whether err is worth retrying: the server was busy,
// timed out, or the connection broke, before or while the answer came (a
// reset, an answer cut off half-way).
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	if apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) ||
		apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsUnexpectedServerError(err) {
		return true
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		utilnet.IsProbableEOF(err) || utilnet.IsHTTP2ConnectionLost(err) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

// conflictBackoff gives writers racing on one object (a VirtualService
// shared by several steps or people) room to interleave.
var conflictBackoff = wait.Backoff{Steps: 10, Duration: 10 * time.Millisecond, Factor: 1.5, Jitter: 0.5}

// transientBackoff retries for about 10 seconds in total.
var transientBackoff = wait.Backoff{Steps: 6, Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.1}

// Retry runs fn until it succeeds, fails with an error that is neither a
// conflict nor transient, or the retries run out. Conflicts are retried
// with client-go's RetryOnConflict; fn must re-read what it changes.
func Retry(ctx context.Context, fn func(context.Context) error) error {
	return retry.OnError(transientBackoff, func(err error) bool {
		return ctx.Err() == nil && IsTransient(err)
	}, func() error {
		return retry.RetryOnConflict(conflictBackoff, func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return fn(ctx)
		})
	})
}
