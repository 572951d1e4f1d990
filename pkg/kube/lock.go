package kube

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// LockName is the name of the Lease aviary locks a namespace with.
const LockName = "aviary-lock"

// LockOptions says which lock to take and for whom.
type LockOptions struct {
	// Namespace holds the Lease.
	Namespace string
	// Name of the Lease; empty is LockName.
	Name string
	// Holder names this pipeline run; it is what another run's error shows.
	Holder string
	// TTL is how long the lock lives without renewal; 0 means 2 minutes.
	// The holder renews it every TTL/3 while it runs.
	TTL time.Duration
	// Wait is how long to wait for a lock another holder has; 0 fails at
	// once. A lock whose holder died (a killed run) frees itself once its
	// lease goes unrenewed for its TTL, so a Wait a little over the TTL lets
	// a retry started at once take it over.
	Wait time.Duration
	// Poll is the time between looks at a held lock while waiting; 0 means
	// 2 seconds.
	Poll time.Duration
	// Notify, when set, is told what the wait is about: who holds the lock
	// and since when, every few polls, and whose stale lock is taken over.
	Notify func(string)
	// Now is the clock of the lease's times; nil is time.Now. Waiting
	// sleeps on the real clock.
	Now func() time.Time
}

// Lock is a held Lease. Release it when done; a run that dies without
// releasing leaves a lease that goes stale after TTL and is then taken over.
type Lock struct {
	c      *Clients
	opts   LockOptions
	ctx    context.Context
	cancel context.CancelCauseFunc
	stop   chan struct{}
	done   sync.WaitGroup
}

// Lock takes the namespace's lock for opts.Holder. A lock held by another
// holder and renewed within its TTL is waited for up to opts.Wait, then is
// an External error (wrapping a *HeldError) naming the holder and since
// when; a stale one is taken over, and opts.Notify told whose it was; one
// held by the same holder (a re-run of a killed step) is taken back.
// Transient API failures are retried (see Retry).
func (c *Clients) Lock(ctx context.Context, opts LockOptions) (*Lock, error) {
	if opts.Name == "" {
		opts.Name = LockName
	}
	if opts.TTL <= 0 {
		opts.TTL = 2 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Poll <= 0 {
		opts.Poll = 2 * time.Second
	}
	if opts.Holder == "" {
		return nil, outcome.Invalidf("locking namespace %q: no holder name", opts.Namespace)
	}
	w := &lockWait{opts: opts, deadline: time.Now().Add(opts.Wait)}
	for {
		err := c.lockOnce(ctx, opts)
		var held *HeldError
		if !errors.As(err, &held) {
			if err != nil {
				return nil, err
			}
			break
		}
		if !w.more(held) {
			return nil, err
		}
		t := time.NewTimer(min(opts.Poll, time.Until(w.deadline)))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting for the lock of namespace %q held by %q: %w", opts.Namespace, held.Holder, ctx.Err())
		case <-t.C:
		}
	}
	lctx, cancel := context.WithCancelCause(ctx)
	l := &Lock{c: c, opts: opts, ctx: lctx, cancel: cancel, stop: make(chan struct{})}
	l.done.Add(1)
	go l.renew()
	return l, nil
}

// lockOnce makes one attempt, retrying races and transient failures.
func (c *Clients) lockOnce(ctx context.Context, opts LockOptions) error {
	var took *takeover
	for attempt := 0; ; attempt++ {
		var err error
		err = Retry(ctx, func(ctx context.Context) error {
			took, err = c.tryLock(ctx, opts)
			return err
		})
		if err == nil {
			break
		}
		if (apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err)) && attempt < 5 {
			continue // raced with another holder: look again
		}
		if outcome.KindOf(err) != outcome.KindUnknown {
			return err
		}
		return Classify(err, "locking namespace %q with lease %q", opts.Namespace, opts.Name)
	}
	if took != nil && opts.Notify != nil {
		opts.Notify(fmt.Sprintf("took over the lock of namespace %q from %q, whose lease expired at %s (not renewed for %s): that run is gone",
			opts.Namespace, took.holder, took.expired.UTC().Format(time.RFC3339), opts.Now().Sub(took.renewed).Round(time.Second)))
	}
	return nil
}

func (c *Clients) tryLock(ctx context.Context, opts LockOptions) (*takeover, error) {
	leases := c.Kube.CoordinationV1().Leases(opts.Namespace)
	now := metav1.NewMicroTime(opts.Now())
	ttl := int32(opts.TTL.Seconds())
	if ttl < 1 {
		ttl = 1
	}
	cur, err := leases.Get(ctx, opts.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = leases.Create(ctx, &coordv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: opts.Name, Namespace: opts.Namespace, Labels: map[string]string{"app.kubernetes.io/managed-by": "aviary"}},
			Spec: coordv1.LeaseSpec{
				HolderIdentity: &opts.Holder, LeaseDurationSeconds: &ttl, AcquireTime: &now, RenewTime: &now,
			},
		}, metav1.CreateOptions{FieldManager: FieldManager})
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	holder := deref(cur.Spec.HolderIdentity)
	if holder != "" && holder != opts.Holder && !stale(cur, opts.Now()) {
		held := &HeldError{Namespace: opts.Namespace, Lease: opts.Name, Holder: holder, Expires: expiry(cur)}
		if cur.Spec.AcquireTime != nil {
			held.Since = cur.Spec.AcquireTime.Time
		}
		return nil, outcome.External(held)
	}
	var took *takeover
	if holder != "" && holder != opts.Holder {
		took = &takeover{holder: holder, renewed: renewed(cur), expired: expiry(cur)}
	}
	next := cur.DeepCopy()
	next.Spec.HolderIdentity = &opts.Holder
	next.Spec.LeaseDurationSeconds = &ttl
	next.Spec.RenewTime = &now
	if holder != opts.Holder {
		next.Spec.AcquireTime = &now
		transitions := int32(0)
		if cur.Spec.LeaseTransitions != nil {
			transitions = *cur.Spec.LeaseTransitions
		}
		transitions++
		next.Spec.LeaseTransitions = &transitions
	}
	_, err = leases.Update(ctx, next, metav1.UpdateOptions{FieldManager: FieldManager})
	if err != nil {
		return nil, err
	}
	return took, nil
}

// renewed is when the lease was last renewed (or acquired).
func renewed(l *coordv1.Lease) time.Time {
	switch {
	case l.Spec.RenewTime != nil:
		return l.Spec.RenewTime.Time
	case l.Spec.AcquireTime != nil:
		return l.Spec.AcquireTime.Time
	}
	return time.Time{}
}

func expiry(l *coordv1.Lease) time.Time {
	r := renewed(l)
	if r.IsZero() {
		return r
	}
	d := time.Duration(0)
	if l.Spec.LeaseDurationSeconds != nil {
		d = time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second
	}
	return r.Add(d)
}

// stale reports whether the lease's renewal is overdue at now.
func stale(l *coordv1.Lease, now time.Time) bool { return now.After(expiry(l)) }

// Context is canceled, with the reason as its cause, if the lock is lost
// (another holder took it over, or it could not be renewed within its TTL).
func (l *Lock) Context() context.Context { return l.ctx }

func (l *Lock) renew() {
	defer l.done.Done()
	tick := time.NewTicker(l.opts.TTL / 3)
	defer tick.Stop()
	lastOK := l.opts.Now()
	for {
		select {
		case <-l.stop:
			return
		case <-l.ctx.Done():
			return
		case <-tick.C:
		}
		err := l.renewOnce()
		switch {
		case err == nil:
			lastOK = l.opts.Now()
		case outcome.KindOf(err) != outcome.KindUnknown || l.opts.Now().Sub(lastOK) > l.opts.TTL:
			l.cancel(err)
			return
		}
	}
}

func (l *Lock) renewOnce() error {
	leases := l.c.Kube.CoordinationV1().Leases(l.opts.Namespace)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(l.ctx), l.opts.TTL/3)
	defer cancel()
	return Retry(ctx, func(ctx context.Context) error {
		cur, err := leases.Get(ctx, l.opts.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return outcome.Externalf("lost the lock of namespace %q: lease %q was deleted", l.opts.Namespace, l.opts.Name)
		}
		if err != nil {
			return err
		}
		if cur.Spec.HolderIdentity == nil || *cur.Spec.HolderIdentity != l.opts.Holder {
			return outcome.Externalf("lost the lock of namespace %q: it is now held by %q", l.opts.Namespace, deref(cur.Spec.HolderIdentity))
		}
		now := metav1.NewMicroTime(l.opts.Now())
		cur.Spec.RenewTime = &now
		_, err = leases.Update(ctx, cur, metav1.UpdateOptions{FieldManager: FieldManager})
		return err
	})
}

// Release stops renewing and deletes the lease if this holder still has it.
func (l *Lock) Release(ctx context.Context) error {
	select {
	case <-l.stop:
		return nil // already released
	default:
	}
	close(l.stop)
	l.done.Wait()
	defer l.cancel(fmt.Errorf("lock of namespace %q released", l.opts.Namespace))
	leases := l.c.Kube.CoordinationV1().Leases(l.opts.Namespace)
	release := func(ctx context.Context) error {
		cur, err := leases.Get(ctx, l.opts.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if deref(cur.Spec.HolderIdentity) != l.opts.Holder {
			return nil // taken over; not ours to delete
		}
		rv := cur.ResourceVersion
		err = leases.Delete(ctx, l.opts.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &rv}})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	// A lease left behind holds the next step back until it expires, so
	// the release keeps trying past Retry's budget, for as long as ctx
	// lets it.
	var err error
	for {
		err = Retry(ctx, release)
		if err == nil || !IsTransient(err) || ctx.Err() != nil {
			break
		}
	}
	return Classify(err, "releasing the lock of namespace %q", l.opts.Namespace)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
