package kube

import (
	"context"
	"strings"
	"testing"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

func fakeClients() *Clients {
	return &Clients{Host: "https://fake", Kube: fake.NewClientset()}
}

func TestLockKeepsOthersOut(t *testing.T) {
	ctx := context.Background()
	c := fakeClients()
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a, err := c.Lock(ctx, LockOptions{Namespace: "shop", Holder: "pipeline-a", TTL: time.Minute, Now: clock})
	if err != nil {
		t.Fatalf("Lock(a): %v", err)
	}
	_, err = c.Lock(ctx, LockOptions{Namespace: "shop", Holder: "pipeline-b", TTL: time.Minute, Now: clock})
	if outcome.KindOf(err) != outcome.KindExternal || !strings.Contains(err.Error(), `locked by "pipeline-a" since 2026-11-25T10:00:00Z`) {
		t.Fatalf("Lock(b) while a holds it = %v, want an External error naming pipeline-a and since when", err)
	}
	// The same holder (a re-run of a killed step) takes it back.
	again, err := c.Lock(ctx, LockOptions{Namespace: "shop", Holder: "pipeline-a", TTL: time.Minute, Now: clock})
	if err != nil {
		t.Fatalf("Lock(a) again: %v", err)
	}
	if err := again.Release(ctx); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if err := a.Release(ctx); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	b, err := c.Lock(ctx, LockOptions{Namespace: "shop", Holder: "pipeline-b", TTL: time.Minute, Now: clock})
	if err != nil {
		t.Fatalf("Lock(b) after release: %v", err)
	}
	b.Release(ctx)
}

func TestLockTakesOverAStaleLease(t *testing.T) {
	ctx := context.Background()
	c := fakeClients()
	renewed := metav1.NewMicroTime(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	ttl := int32(60)
	holder := "dead-pipeline"
	_, err := c.Kube.CoordinationV1().Leases("shop").Create(ctx, &coordv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: LockName, Namespace: "shop"},
		Spec:       coordv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &ttl, AcquireTime: &renewed, RenewTime: &renewed},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at := func(d time.Duration) func() time.Time { return func() time.Time { return renewed.Add(d) } }
	if _, err := c.Lock(ctx, LockOptions{Namespace: "shop", Holder: "live", Now: at(59 * time.Second)}); err == nil {
		t.Fatal("Lock within the TTL of the dead holder succeeded, want refused")
	}
	l, err := c.Lock(ctx, LockOptions{Namespace: "shop", Holder: "live", Now: at(61 * time.Second)})
	if err != nil {
		t.Fatalf("Lock after the TTL passed: %v", err)
	}
	defer l.Release(ctx)
	got, _ := c.Kube.CoordinationV1().Leases("shop").Get(ctx, LockName, metav1.GetOptions{})
	if *got.Spec.HolderIdentity != "live" || *got.Spec.LeaseTransitions != 1 {
		t.Errorf("lease holder = %q transitions = %d, want live and 1", *got.Spec.HolderIdentity, *got.Spec.LeaseTransitions)
	}
}

func TestLockIsLostWhenTakenOver(t *testing.T) {
	ctx := context.Background()
	c := fakeClients()
	l, err := c.Lock(ctx, LockOptions{Namespace: "shop", Holder: "a", TTL: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	lease, _ := c.Kube.CoordinationV1().Leases("shop").Get(ctx, LockName, metav1.GetOptions{})
	thief := "b"
	lease.Spec.HolderIdentity = &thief
	if _, err := c.Kube.CoordinationV1().Leases("shop").Update(ctx, lease, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Context().Done():
		if cause := context.Cause(l.Context()); !strings.Contains(cause.Error(), `now held by "b"`) {
			t.Errorf("cause = %v, want it to name the new holder", cause)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the lock's context was not canceled after another holder took the lease")
	}
}
