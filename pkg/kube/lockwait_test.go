package kube

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// notes collects what Lock tells Notify.
type notes struct {
	mu    sync.Mutex
	lines []string
}

func (n *notes) add(s string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lines = append(n.lines, s)
}

func (n *notes) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.lines, "\n")
}

// deadLease leaves the lease a killed run would: held by holder, renewed
// now, never again.
func deadLease(t *testing.T, c *Clients, holder string, ttl int32) {
	t.Helper()
	now := metav1.NewMicroTime(time.Now())
	_, err := c.Kube.CoordinationV1().Leases("shop").Create(context.Background(), &coordv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: LockName, Namespace: "shop"},
		Spec:       coordv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &ttl, AcquireTime: &now, RenewTime: &now},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLockWaitsForADeadHolder: a retry started right after a run was
// killed waits, saying for whom, and takes the lock over once the dead
// run's lease has gone unrenewed for its TTL, naming the dead holder.
func TestLockWaitsForADeadHolder(t *testing.T) {
	c := fakeClients()
	deadLease(t, c, "github:acme/shop/runs/41", 1)
	var n notes
	start := time.Now()
	l, err := c.Lock(context.Background(), LockOptions{Namespace: "shop", Holder: "github:acme/shop/runs/42", Wait: 10 * time.Second, Poll: 100 * time.Millisecond, Notify: n.add})
	if err != nil {
		t.Fatalf("Lock() = %v, want the lock once the dead lease expired\n%s", err, &n)
	}
	defer l.Release(context.Background())
	if took := time.Since(start); took < 900*time.Millisecond || took > 5*time.Second {
		t.Errorf("Lock() took %s, want about the dead lease's TTL (1s)", took)
	}
	for _, want := range []string{
		`namespace "shop" is locked by "github:acme/shop/runs/41" (held for `,
		`waiting up to `,
		`took over the lock of namespace "shop" from "github:acme/shop/runs/41", whose lease expired at `,
	} {
		if !strings.Contains(n.String(), want) {
			t.Errorf("Notify lines lack %q:\n%s", want, &n)
		}
	}
}

// TestLockWaitEnds: a holder that keeps renewing keeps the lock; the wait
// ends after Wait with the holder named, and a canceled context ends it at
// once.
func TestLockWaitEnds(t *testing.T) {
	c := fakeClients()
	a, err := c.Lock(context.Background(), LockOptions{Namespace: "shop", Holder: "a", TTL: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release(context.Background())

	start := time.Now()
	_, err = c.Lock(context.Background(), LockOptions{Namespace: "shop", Holder: "b", Wait: 500 * time.Millisecond, Poll: 100 * time.Millisecond})
	var held *HeldError
	if !errors.As(err, &held) || outcome.KindOf(err) != outcome.KindExternal || !strings.Contains(err.Error(), `locked by "a"`) ||
		!strings.Contains(err.Error(), "after waiting 500ms (lock-wait)") {
		t.Fatalf("Lock(b) = %v, want External naming a and the wait", err)
	}
	if took := time.Since(start); took < 500*time.Millisecond || took > 3*time.Second {
		t.Errorf("Lock(b) took %s, want about 500ms", took)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = c.Lock(ctx, LockOptions{Namespace: "shop", Holder: "b", Wait: time.Minute, Poll: 50 * time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock(b) with its context ending = %v, want the context's error", err)
	}
}
