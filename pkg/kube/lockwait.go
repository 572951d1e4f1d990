package kube

import (
	"fmt"
	"time"
)

// lockWait paces the progress lines of a wait for a held lock.
type lockWait struct {
	opts     LockOptions
	deadline time.Time
	waited   int // polls so far
	holder   string
}

// notifyEvery is how many polls pass between two progress lines about the
// same holder.
const notifyEvery = 5

// more reports whether to look again at a lock held as held says, telling
// opts.Notify about it now and then.
func (w *lockWait) more(held *HeldError) bool {
	left := time.Until(w.deadline)
	if left <= 0 {
		if w.opts.Wait > 0 {
			held.Waited = w.opts.Wait
		}
		return false
	}
	if w.opts.Notify != nil && (held.Holder != w.holder || w.waited%notifyEvery == 0) {
		w.opts.Notify(fmt.Sprintf("namespace %q is locked by %q (held for %s, free at %s unless renewed): waiting up to %s more",
			w.opts.Namespace, held.Holder, held.age(w.opts.Now()), held.Expires.UTC().Format(time.RFC3339), left.Round(time.Second)))
	}
	w.holder = held.Holder
	w.waited++
	return true
}

// HeldError is a lock another holder has and keeps renewing.
type HeldError struct {
	Namespace, Lease, Holder string
	// Since is when the holder took the lock (zero if unknown); Expires is
	// when the lease runs out unless renewed.
	Since, Expires time.Time
	// Waited is how long Lock waited for it, 0 when it did not wait.
	Waited time.Duration
}

func (e *HeldError) Error() string {
	since := "an unknown time"
	if !e.Since.IsZero() {
		since = e.Since.UTC().Format(time.RFC3339)
	}
	waited := ""
	if e.Waited > 0 {
		waited = fmt.Sprintf(" after waiting %s (lock-wait)", e.Waited)
	}
	return fmt.Sprintf("namespace %q is locked by %q since %s (lease %s/%s, free at %s unless renewed): another pipeline is acting on it; retry when it is done%s",
		e.Namespace, e.Holder, since, e.Namespace, e.Lease, e.Expires.UTC().Format(time.RFC3339), waited)
}

func (e *HeldError) age(now time.Time) string {
	if e.Since.IsZero() {
		return "an unknown time"
	}
	return now.Sub(e.Since).Round(time.Second).String()
}

// takeover is the stale lease of another holder that tryLock replaced.
type takeover struct {
	holder           string
	renewed, expired time.Time
}
