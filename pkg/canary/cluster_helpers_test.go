package canary_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aviary-cd/aviary/pkg/canary"
	"github.com/aviary-cd/aviary/pkg/canary/canarytest"
	"github.com/aviary-cd/aviary/pkg/kube"
	"github.com/aviary-cd/aviary/pkg/traffic"
	"github.com/aviary-cd/aviary/pkg/traffic/istio"
)

// open is what a step does before its operation: read the plan, connect
// with kubeconfig, lock the release.
func open(t *testing.T, f *canarytest.Fixture, rel canarytest.Release, step, kubeconfig string) (context.Context, *canary.Opened) {
	t.Helper()
	ctx, o, err := canary.Open(context.Background(), canary.Target{
		Step: step, Plan: rel.Ref, Kubeconfig: kubeconfig, Holder: "test-" + step,
		LockTTL: time.Minute, Timeout: time.Minute,
	}, nil)
	if err != nil {
		t.Fatalf("opening %s for %s: %v", rel.Version, step, err)
	}
	o.Env.Progress = func(s string) { t.Logf("%s: %s", step, s) }
	return ctx, o
}

// op is an operation run the way its step runs it.
type op func(context.Context, *canary.Env, *canary.Opened) (canary.Result, error)

// do runs one operation the way its step would, with the step's Role.
func do(t *testing.T, f *canarytest.Fixture, rel canarytest.Release, step string, kubeconfig string, fn op) canary.Result {
	t.Helper()
	ctx, o := open(t, f, rel, step, kubeconfig)
	defer o.Close(ctx)
	res, err := fn(ctx, o.Env, o)
	if err != nil {
		t.Fatalf("%s %s: %v", step, rel.Version, err)
	}
	return res
}

func deployAt(w int) op {
	return func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Deploy(ctx, e, o.Plan, canary.DeployOptions{InitialWeight: w})
	}
}

func shiftTo(w int) op {
	return func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Shift(ctx, e, o.Plan, canary.ShiftOptions{Weight: w})
	}
}

func promoteKeeping(passive int) op {
	return func(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
		return canary.Promote(ctx, e, o.Plan, canary.PromoteOptions{PassiveReplicas: passive})
	}
}

func rollback(ctx context.Context, e *canary.Env, o *canary.Opened) (canary.Result, error) {
	return canary.Rollback(ctx, e, o.Plan)
}

// admin returns clients with the cluster's admin kubeconfig.
func admin(t *testing.T, f *canarytest.Fixture) *kube.Clients {
	t.Helper()
	c, err := kube.Connect(context.Background(), kube.Options{Kubeconfig: f.Cluster.Kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fingerprint is the state of the fixture's namespaces that matters to a
// release: every aviary Deployment's replicas, image, labels and role,
// every VirtualService's and DestinationRule's spec and every record.
func fingerprint(t *testing.T, c *kube.Clients, f *canarytest.Fixture) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, ns := range f.Layout.Namespaces {
		ds, err := c.Kube.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds.Items {
			out[ns+"/deployment/"+d.Name] = fmt.Sprintf("replicas=%d image=%s version=%s role=%s", *d.Spec.Replicas,
				d.Spec.Template.Spec.Containers[0].Image, d.Labels[canary.LabelVersion], d.Annotations[canary.AnnotationRole])
		}
		vss, err := canarytest.IstioClient(t, c).NetworkingV1().VirtualServices(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, vs := range vss.Items {
			spec, _ := json.Marshal(&vs.Spec)
			out[ns+"/virtualservice/"+vs.Name] = string(spec)
		}
		drs, err := canarytest.IstioClient(t, c).NetworkingV1().DestinationRules(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, dr := range drs.Items {
			spec, _ := json.Marshal(&dr.Spec)
			out[ns+"/destinationrule/"+dr.Name] = string(spec)
		}
		cms, err := c.Kube.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{LabelSelector: canary.LabelRecord + "=true"})
		if err != nil {
			t.Fatal(err)
		}
		for _, cm := range cms.Items {
			out[ns+"/record/"+cm.Name] = fields(cm.Data)
		}
	}
	return out
}

func fields(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// weights reads the weights of each service's route in namespace.
func weights(t *testing.T, c *kube.Clients, ns string, services ...string) map[string][]traffic.Weighted {
	t.Helper()
	r := istio.New(canarytest.IstioClient(t, c))
	out := map[string][]traffic.Weighted{}
	for _, s := range services {
		route, err := r.Weights(context.Background(), traffic.Service{Namespace: ns, Name: s})
		if err != nil {
			t.Fatal(err)
		}
		out[s] = route.Weights
	}
	return out
}
