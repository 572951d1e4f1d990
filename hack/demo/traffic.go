package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/aviary-cd/aviary/internal/devenv"
)

// traffic is the sample app's real requests: a "users" workload calling
// the first service (frontend), which calls the others, each at trafficRPS,
// through gRPC's xDS resolver with routes from istiod. Istio's metrics of
// these requests are what the analysis judges.
type traffic struct {
	mesh      *devenv.Mesh
	istiod    *devenv.Istiod
	namespace string // the callers'
	hostNS    string // the called hosts'
	services  []string
	started   bool
}

const (
	trafficRPS = 100 // requests per second to each service
	// trafficSettle is how long after a step the demo waits before it
	// counts answers: istiod pushes a route change within a few hundred
	// milliseconds.
	trafficSettle = time.Second
	// trafficWindow is the span the demo counts answers over.
	trafficWindow = 2 * time.Second
)

func newTraffic(mesh *devenv.Mesh, istiod *devenv.Istiod, namespace, hostNS string, services []string) *traffic {
	return &traffic{mesh: mesh, istiod: istiod, namespace: namespace, hostNS: hostNS, services: services}
}

// callers are who calls whom: users call the first service, which calls
// the others.
func (t *traffic) callers() map[string][]string {
	if len(t.services) == 0 {
		return nil
	}
	return map[string][]string{"users": t.services[:1], t.services[0]: t.services[1:]}
}

func (t *traffic) describe() string {
	var parts []string
	for _, caller := range sortedKeys(t.callers()) {
		if callees := t.callers()[caller]; len(callees) > 0 {
			parts = append(parts, caller+" → "+strings.Join(callees, ", "))
		}
	}
	return fmt.Sprintf("%s; %d requests/s to each", strings.Join(parts, "; "), trafficRPS)
}

func (t *traffic) host(service string) string {
	return service + "." + t.hostNS + ".svc.cluster.local"
}

// start starts the callers once every service has a route, on each
// Service's first port (the Service found in the hosts' namespace of the
// first of clusters that has it). It does nothing before or after.
func (t *traffic) start(ctx context.Context, clusters []kubernetes.Interface, routes []route) error {
	if t.started || len(routes) < len(t.services) {
		return nil
	}
	for caller, callees := range t.callers() {
		if len(callees) == 0 {
			continue
		}
		opts := devenv.CallerOptions{Workload: caller, Namespace: t.namespace, Istiod: t.istiod}
		for _, svc := range callees {
			port, err := t.port(ctx, clusters, svc)
			if err != nil {
				return err
			}
			opts.Calls = append(opts.Calls, devenv.Call{Host: t.host(svc), Port: port, RPS: trafficRPS})
		}
		if _, err := t.mesh.Call(opts); err != nil {
			return err
		}
	}
	t.started = true
	return nil
}

// port is the first port of service's Service in the hosts' namespace.
func (t *traffic) port(ctx context.Context, clusters []kubernetes.Interface, service string) (int, error) {
	var lastErr error
	for _, kube := range clusters {
		s, err := kube.CoreV1().Services(t.hostNS).Get(ctx, service, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			lastErr = err
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("reading Service %s for its port: %w", service, err)
		}
		if len(s.Spec.Ports) == 0 {
			return 0, fmt.Errorf("service %s/%s has no port to call", t.hostNS, service)
		}
		return int(s.Spec.Ports[0].Port), nil
	}
	return 0, fmt.Errorf("reading Service %s for its port: %w", service, lastErr)
}

// served is what one service's requests got over a window: answers per
// second by the answering pod's version (the split users see), failed
// answers per second its pods gave (what their sidecars report), and
// failures per second that reached its callers (gRPC retries a failed
// attempt once, as Istio's default retry policy says).
type served struct {
	PerSecond map[string]float64
	Failed    float64
	UsersSaw  float64
}

// measure counts the answers of the last trafficWindow after waiting
// trafficSettle, by service.
func (t *traffic) measure() map[string]served {
	if !t.started {
		return nil
	}
	time.Sleep(trafficSettle + trafficWindow)
	to := time.Now()
	from := to.Add(-trafficWindow)
	return t.between(from, to)
}

// between counts the answers to requests sent in [from, to), by service.
func (t *traffic) between(from, to time.Time) map[string]served {
	secs := to.Sub(from).Seconds()
	answers := t.mesh.Answers().Between(from, to)
	received := t.mesh.Received().Between(from, to)
	out := map[string]served{}
	for _, svc := range t.services {
		host := t.host(svc)
		s := served{PerSecond: map[string]float64{}}
		for v, n := range answers.To(host).ByVersion() {
			s.PerSecond[v] = float64(n) / secs
		}
		for _, n := range received.To(host).Failed() {
			s.Failed += float64(n) / secs
		}
		for _, n := range answers.To(host).Failed() {
			s.UsersSaw += float64(n) / secs
		}
		out[svc] = s
	}
	return out
}
