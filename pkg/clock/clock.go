// Package clock holds aviary's one way to wait: a sleep that ends early,
// with the context's error, when the context is done. Code that waits takes
// it (or a func of its shape, so that tests can wait in no time).
package clock

import (
	"context"
	"time"
)

// Sleep waits for d, or until ctx is done, and returns ctx.Err() when ctx
// ended the wait (or had already ended: a d of 0 or less waits for nothing
// but still reports a done ctx).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
