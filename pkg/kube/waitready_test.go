package kube

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

var deploymentsGVR = appsv1.SchemeGroupVersion.WithResource("deployments")

// pendingDeployment is a Deployment of one replica the controller has not
// seen yet.
func pendingDeployment(name string) *appsv1.Deployment {
	one := int32(1)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Generation: 1},
		Spec:       appsv1.DeploymentSpec{Replicas: &one},
	}
}

// rolledOut is d with every replica updated and available.
func rolledOut(d *appsv1.Deployment) *appsv1.Deployment {
	d = d.DeepCopy()
	d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1}
	return d
}

// onWatch makes each Watch of deployments on cs a watch of the fake's
// tracker, and runs then(n) once the n-th (from 1) has started, so that
// what then writes reaches it.
func onWatch(t *testing.T, cs *fake.Clientset, then func(n int)) {
	var n atomic.Int32
	cs.PrependWatchReactor("deployments", func(a k8stesting.Action) (bool, watch.Interface, error) {
		w, err := cs.Tracker().Watch(deploymentsGVR, a.GetNamespace())
		if err != nil {
			t.Errorf("tracker watch: %v", err)
			return true, nil, err
		}
		go then(int(n.Add(1)))
		return true, w, nil
	})
}

// TestWaitReadySeesChangesByWatching: a Deployment becoming ready ends
// the wait as the watch reports it, not at the next list (an hour away).
func TestWaitReadySeesChangesByWatching(t *testing.T) {
	cs := fake.NewClientset(pendingDeployment("cart"), pendingDeployment("web"))
	var lists atomic.Int32
	cs.PrependReactor("list", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		lists.Add(1)
		return false, nil, nil
	})
	onWatch(t, cs, func(int) {
		for _, name := range []string{"cart", "web"} {
			if err := cs.Tracker().Update(deploymentsGVR, rolledOut(pendingDeployment(name)), "shop"); err != nil {
				t.Errorf("updating %s: %v", name, err)
			}
		}
	})
	var seen []string
	c := &Clients{Kube: cs}
	err := c.WaitReady(context.Background(), "shop", []string{"cart", "web"}, WaitOptions{
		Timeout: 30 * time.Second, Interval: time.Hour,
		Progress: func(r Readiness) { seen = append(seen, r.String()) },
	})
	if err != nil {
		t.Fatalf("WaitReady = %v", err)
	}
	want := []string{
		"cart 0/1 ready (waiting for the controller to see the new spec)",
		"web 0/1 ready (waiting for the controller to see the new spec)",
		"cart 1/1 ready", "web 1/1 ready",
	}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("progress:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
	if n := lists.Load(); n != 1 {
		t.Errorf("%d lists, want 1 (the watch brings the rest)", n)
	}
}

// TestWaitReadyListsAgainWhenTheWatchEnds: a watch the server closes, or
// one that reports its history gone, is followed by a new list.
func TestWaitReadyListsAgainWhenTheWatchEnds(t *testing.T) {
	for _, end := range []string{"closed", "expired"} {
		t.Run(end, func(t *testing.T) {
			cs := fake.NewClientset(pendingDeployment("cart"))
			var lists atomic.Int32
			cs.PrependReactor("list", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
				lists.Add(1)
				return false, nil, nil
			})
			cs.PrependWatchReactor("deployments", func(k8stesting.Action) (bool, watch.Interface, error) {
				// The Deployment becomes ready while nobody watches.
				if err := cs.Tracker().Update(deploymentsGVR, rolledOut(pendingDeployment("cart")), "shop"); err != nil {
					t.Error(err)
				}
				w := watch.NewFake()
				go func() {
					if end == "expired" {
						w.Error(&apierrors.NewResourceExpired("too old resource version: 1 (5)").ErrStatus)
						return
					}
					w.Stop()
				}()
				return true, w, nil
			})
			c := &Clients{Kube: cs}
			err := c.WaitReady(context.Background(), "shop", []string{"cart"}, WaitOptions{Timeout: 30 * time.Second, Interval: time.Millisecond})
			if err != nil {
				t.Fatalf("WaitReady = %v", err)
			}
			if n := lists.Load(); n != 2 {
				t.Errorf("%d lists, want 2", n)
			}
		})
	}
}

// TestWaitReadyFailures: a Deployment giving up, a wait outliving its
// timeout and a watch the credentials may not open are External errors
// saying which and why.
func TestWaitReadyFailures(t *testing.T) {
	deadline := rolledOut(pendingDeployment("cart"))
	deadline.Status.AvailableReplicas = 0
	deadline.Status.Conditions = []appsv1.DeploymentCondition{{
		Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse,
		Reason: "ProgressDeadlineExceeded", Message: `ReplicaSet "cart-x" has timed out progressing.`,
	}}
	tests := []struct {
		name  string
		setup func(t *testing.T, cs *fake.Clientset)
		want  []string
	}{
		{"progress deadline", func(t *testing.T, cs *fake.Clientset) {
			onWatch(t, cs, func(int) {
				if err := cs.Tracker().Update(deploymentsGVR, deadline, "shop"); err != nil {
					t.Error(err)
				}
			})
		}, []string{`deployments in namespace "shop" failed to roll out`, `cart 0/1 ready (ReplicaSet "cart-x" has timed out progressing.)`}},
		{"timeout", func(t *testing.T, cs *fake.Clientset) {
			onWatch(t, cs, func(int) {})
		}, []string{`timed out after 50ms waiting for deployments in namespace "shop"`, "cart 0/1 ready (waiting for the controller to see the new spec)"}},
		{"timeout listing", func(t *testing.T, cs *fake.Clientset) {
			cs.PrependReactor("list", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, nil, apierrors.NewServiceUnavailable("etcd is down")
			})
		}, []string{`timed out after 50ms waiting for deployments in namespace "shop"`, `listing Deployments in namespace "shop"`, "etcd is down"}},
		{"watch refused", func(t *testing.T, cs *fake.Clientset) {
			cs.PrependWatchReactor("deployments", func(k8stesting.Action) (bool, watch.Interface, error) {
				return true, nil, apierrors.NewUnauthorized("token expired")
			})
		}, []string{`watching Deployments in namespace "shop"`, "token expired"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := fake.NewClientset(pendingDeployment("cart"))
			tt.setup(t, cs)
			c := &Clients{Kube: cs}
			timeout := 50 * time.Millisecond
			if !strings.HasPrefix(tt.name, "timeout") {
				timeout = 30 * time.Second
			}
			err := c.WaitReady(context.Background(), "shop", []string{"cart"}, WaitOptions{Timeout: timeout, Interval: time.Hour})
			if outcome.KindOf(err) != outcome.KindExternal {
				t.Fatalf("WaitReady = %v, want an External error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestWaitReadyCanceled: the caller's cancellation ends the wait with the
// context's error, not a timeout.
func TestWaitReadyCanceled(t *testing.T) {
	cs := fake.NewClientset(pendingDeployment("cart"))
	ctx, cancel := context.WithCancel(context.Background())
	onWatch(t, cs, func(int) { cancel() })
	c := &Clients{Kube: cs}
	err := c.WaitReady(ctx, "shop", []string{"cart"}, WaitOptions{Timeout: 30 * time.Second, Interval: time.Hour})
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "timed out") {
		t.Fatalf("WaitReady after cancel = %v, want context.Canceled", err)
	}
}

// TestWaitReadyListsWithoutWatch: credentials that may list Deployments
// but not watch them make the wait list every interval, saying so once.
func TestWaitReadyListsWithoutWatch(t *testing.T) {
	cs := fake.NewClientset(pendingDeployment("cart"))
	var lists, watches atomic.Int32
	cs.PrependReactor("list", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		if lists.Add(1) == 3 {
			if err := cs.Tracker().Update(deploymentsGVR, rolledOut(pendingDeployment("cart")), "shop"); err != nil {
				t.Error(err)
			}
		}
		return false, nil, nil
	})
	cs.PrependWatchReactor("deployments", func(k8stesting.Action) (bool, watch.Interface, error) {
		watches.Add(1)
		return true, nil, apierrors.NewForbidden(deploymentsGVR.GroupResource(), "", errors.New("no watch verb"))
	})
	var notices []string
	c := &Clients{Kube: cs}
	err := c.WaitReady(context.Background(), "shop", []string{"cart"}, WaitOptions{
		Timeout: 30 * time.Second, Interval: time.Millisecond,
		Notice: func(s string) { notices = append(notices, s) },
	})
	if err != nil {
		t.Fatalf("WaitReady = %v", err)
	}
	if lists.Load() != 3 || watches.Load() != 1 {
		t.Errorf("%d lists and %d watches, want 3 and 1", lists.Load(), watches.Load())
	}
	if len(notices) != 1 || !strings.Contains(notices[0], `may not watch Deployments in namespace "shop"`) {
		t.Errorf("notices = %q, want one saying the wait lists instead", notices)
	}
}
