package step

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// StopGrace is how long a step's run may take to return once its context
// ends (the first SIGINT or SIGTERM, or a deadline) before the runtime stops
// waiting for it and ends the step itself. CI systems kill a step a few
// seconds after asking it to stop (GitHub: 7.5s after SIGINT); the step
// reports its interruption before that.
const StopGrace = 5 * time.Second

// ErrNotStopped is wrapped by the error Await returns for a function that
// did not return within the grace after its context ended.
var ErrNotStopped = errors.New("did not stop")

// Await calls fn in a goroutine and returns its error. When ctx ends first
// and fn has not returned within grace of that, Await returns an error
// wrapping ErrNotStopped and ctx's cause, and leaves fn running: what it is
// blocked in (a call that ignores its context, a read no deadline covers)
// ends with the process.
func Await(ctx context.Context, grace time.Duration, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("%w within %s of %v: it was blocked and may have left its work half done: run it again",
			ErrNotStopped, grace, context.Cause(ctx))
	}
}
