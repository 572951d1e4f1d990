package kube

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
	// Interval between polls; 0 means 500ms.
	Interval time.Duration
	// Progress, when set, is called whenever a Deployment's readiness changes.
	Progress func(Readiness)
}

// WaitReady waits until the named Deployments of namespace ns are all ready.
// It polls with one List per interval, however many Deployments it waits
// for. A Deployment that gives up, or a wait that outlives its timeout, is
// an External error naming each Deployment that is not ready and why.
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
	deadline := time.Now().Add(opts.Timeout)
	last := map[string]Readiness{}
	tick := time.NewTicker(opts.Interval)
	defer tick.Stop()
	for {
		var list *appsv1.DeploymentList
		err := Retry(ctx, func(ctx context.Context) error {
			var err error
			list, err = c.Kube.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
			return err
		})
		if err != nil {
			return Classify(err, "listing Deployments in namespace %q", ns)
		}
		byName := make(map[string]*appsv1.Deployment, len(list.Items))
		for i := range list.Items {
			byName[list.Items[i].Name] = &list.Items[i]
		}
		var pending, failed []Readiness
		for _, n := range names {
			r := Readiness{Name: n, Reason: "not found"}
			if d, ok := byName[n]; ok {
				r = DeploymentReadiness(d)
			}
			if prev, seen := last[n]; (!seen || prev != r) && opts.Progress != nil {
				opts.Progress(r)
			}
			last[n] = r
			switch {
			case r.Failed:
				failed = append(failed, r)
			case !r.Done:
				pending = append(pending, r)
			}
		}
		if len(failed) > 0 {
			return outcome.Externalf("deployments in namespace %q failed to roll out: %s", ns, describe(failed))
		}
		if len(pending) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return outcome.Externalf("timed out after %s waiting for deployments in namespace %q: %s", opts.Timeout, ns, describe(pending))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func describe(rs []Readiness) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		parts = append(parts, r.String())
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}
