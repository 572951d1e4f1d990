package kube

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// Readiness is how far a Deployment is from serving with all its replicas.
type Readiness struct {
	Name string
	// Want is the replicas asked for; Ready those updated and available.
	Want, Ready int32
	// Done is true once every wanted replica runs the current template.
	Done bool
	// Failed is set when the Deployment gave up (its progress deadline
	// passed); Reason says why.
	Failed bool
	Reason string
}

func (r Readiness) String() string {
	s := fmt.Sprintf("%s %d/%d ready", r.Name, r.Ready, r.Want)
	if r.Reason != "" {
		s += " (" + r.Reason + ")"
	}
	return s
}

// DeploymentReadiness says how ready d is. A Deployment counts as ready when
// the controller has seen its latest spec and every wanted replica is
// updated and available, the way `kubectl rollout status` decides.
func DeploymentReadiness(d *appsv1.Deployment) Readiness {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	st := d.Status
	ready := min(st.UpdatedReplicas, st.AvailableReplicas)
	r := Readiness{Name: d.Name, Want: want, Ready: ready}
	for _, c := range st.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded" {
			r.Failed, r.Reason = true, c.Message
		}
		if c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue {
			r.Reason = c.Message
		}
	}
	switch {
	case st.ObservedGeneration < d.Generation:
		r.Reason = "waiting for the controller to see the new spec"
	case st.UpdatedReplicas < want, st.AvailableReplicas < want:
	case st.Replicas > st.UpdatedReplicas:
		r.Reason = "old replicas are terminating"
	default:
		r.Done, r.Failed, r.Reason = true, false, ""
	}
	return r
}

// WaitOptions tunes WaitReady.
type WaitOptions struct {
	// Timeout bounds the wait; 0 means 5 minutes.
	Timeout time.Duration
	// Interval is how long to wait before listing again when the watch
	// cannot be opened or keeps ending early; 0 means 500ms.
	Interval time.Duration
	// Progress, when set, is called whenever a Deployment's readiness changes.
	Progress func(Readiness)
	// Notice, when set, is told once when the credentials may not watch
	// Deployments and the wait lists them every Interval instead.
	Notice func(string)
}

// errWaitTimeout is the cause of a wait's context ending at its Timeout.
var errWaitTimeout = errors.New("wait timed out")

// WaitReady waits until the named Deployments of namespace ns are all ready.
// It lists the namespace's Deployments once, then watches them from the
// list's resource version, the way `kubectl rollout status` does: it sees
// each change as it happens, with one request however many Deployments it
// waits for. When the watch ends (the server closes it, the history it
// starts from is gone) it lists again. A Deployment that gives up, or a wait
// that outlives its timeout, is an External error naming each Deployment
// that is not ready and why. Credentials that may list Deployments but not
// watch them (a Role written before the steps watched) make it list every
// Interval instead, and say so through opts.Notice.
func (c *Clients) WaitReady(ctx context.Context, ns string, names []string, opts WaitOptions) error {
	if len(names) == 0 {
		return nil
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Minute
	}
	if opts.Interval == 0 {
		opts.Interval = 500 * time.Millisecond
	}
	ctx, cancel := context.WithTimeoutCause(ctx, opts.Timeout, errWaitTimeout)
	defer cancel()
	w := &readyWait{names: names, progress: opts.Progress, last: map[string]Readiness{}}
	err := c.waitReady(ctx, ns, w, opts)
	switch {
	case err == nil || !errors.Is(context.Cause(ctx), errWaitTimeout):
		return err
	case len(w.last) == 0:
		// Not one list answered: what the last attempt ran into says more.
		return outcome.Externalf("timed out after %s waiting for deployments in namespace %q: %w", opts.Timeout, ns, err)
	}
	return outcome.Externalf("timed out after %s waiting for deployments in namespace %q: %s", opts.Timeout, ns, describe(w.pending))
}

// waitReady lists, then watches until the watch ends, and again, until w
// is done or fails.
func (c *Clients) waitReady(ctx context.Context, ns string, w *readyWait, opts WaitOptions) error {
	deployments := c.Kube.AppsV1().Deployments(ns)
	poll := false
	for {
		var list *appsv1.DeploymentList
		err := Retry(ctx, func(ctx context.Context) error {
			var err error
			list, err = deployments.List(ctx, metav1.ListOptions{})
			return err
		})
		if err != nil {
			return Classify(err, "listing Deployments in namespace %q", ns)
		}
		byName := make(map[string]*appsv1.Deployment, len(list.Items))
		for i := range list.Items {
			byName[list.Items[i].Name] = &list.Items[i]
		}
		if done, err := w.check(ns, byName); done || err != nil {
			return err
		}
		var watcher watch.Interface
		if !poll {
			watcher, err = deployments.Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion, AllowWatchBookmarks: true})
		}
		switch {
		case poll:
		case apierrors.IsForbidden(err):
			poll = true
			if opts.Notice != nil {
				opts.Notice(fmt.Sprintf("the credentials may not watch Deployments in namespace %q: listing them every %s instead (grant the watch verb to see each change at once)", ns, opts.Interval))
			}
		case err == nil:
			done, err := w.follow(ctx, ns, watcher, byName)
			if done || err != nil {
				return err
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case !IsTransient(err) && !apierrors.IsGone(err) && !apierrors.IsResourceExpired(err):
			return Classify(err, "watching Deployments in namespace %q", ns)
		}
		// Polling, or the watch could not start or ended: list again,
		// after a pause so that a server refusing watches is not asked in
		// a tight loop.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(opts.Interval):
		}
	}
}

// readyWait is what WaitReady knows of the Deployments it waits for.
type readyWait struct {
	names    []string
	progress func(Readiness)
	last     map[string]Readiness
	// pending are the Deployments not ready at the last check.
	pending []Readiness
}

// follow applies the watch's events to byName, checking after each, until
// w is done, fails, or the watch ends (done and err both unset: list again).
func (w *readyWait) follow(ctx context.Context, ns string, watcher watch.Interface, byName map[string]*appsv1.Deployment) (bool, error) {
	defer watcher.Stop()
	for {
		var ev watch.Event
		var ok bool
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case ev, ok = <-watcher.ResultChan():
		}
		if !ok {
			return false, nil
		}
		d, isDeployment := ev.Object.(*appsv1.Deployment)
		switch {
		case ev.Type == watch.Error:
			// Mostly "too old resource version": the history the watch
			// starts from is gone. A fresh list starts over.
			return false, nil
		case !isDeployment, ev.Type == watch.Bookmark:
			continue
		case ev.Type == watch.Deleted:
			delete(byName, d.Name)
		default:
			byName[d.Name] = d
		}
		if done, err := w.check(ns, byName); done || err != nil {
			return done, err
		}
	}
}

// check reports each change of readiness and whether every Deployment is
// ready; one that gave up is an error.
func (w *readyWait) check(ns string, byName map[string]*appsv1.Deployment) (bool, error) {
	var pending, failed []Readiness
	for _, n := range w.names {
		r := Readiness{Name: n, Reason: "not found"}
		if d, ok := byName[n]; ok {
			r = DeploymentReadiness(d)
		}
		if prev, seen := w.last[n]; (!seen || prev != r) && w.progress != nil {
			w.progress(r)
		}
		w.last[n] = r
		switch {
		case r.Failed:
			failed = append(failed, r)
		case !r.Done:
			pending = append(pending, r)
		}
	}
	w.pending = pending
	if len(failed) > 0 {
		return false, outcome.Externalf("deployments in namespace %q failed to roll out: %s", ns, describe(failed))
	}
	return len(pending) == 0, nil
}

func describe(rs []Readiness) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		parts = append(parts, r.String())
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}
