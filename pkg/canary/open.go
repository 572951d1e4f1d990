package canary

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aviary-cd/aviary/pkg/kube"
	"github.com/aviary-cd/aviary/pkg/plan"
	"github.com/aviary-cd/aviary/pkg/registry"
	"github.com/aviary-cd/aviary/pkg/topology"
)

// Target is what every canary step is given: the plan, the cluster, and
// who is acting.
type Target struct {
	// Step is the step's name (deploy-canary, ...), for messages and the
	// topology check.
	Step string
	// Plan is the plan reference, by digest.
	Plan     string
	Registry registry.Options
	// Kubeconfig and Context pick the cluster; an empty Kubeconfig falls
	// back to KubeconfigEnv (the KUBECONFIG variable, possibly a list) and
	// then client-go's defaults.
	Kubeconfig, KubeconfigEnv, Context string
	// Namespace overrides a single-cluster topology's namespace.
	Namespace string
	// Holder names the run in the lock; LockTTL is the lock's lifetime.
	Holder  string
	LockTTL time.Duration
	// LockWait is how long to wait for a lock another run holds (see
	// kube.LockOptions.Wait); Notify, when set, hears about the wait.
	LockWait time.Duration
	Notify   func(string)
	// RequestTimeout bounds each API request (see kube.Options).
	RequestTimeout time.Duration
	// Timeout bounds waits for Deployments.
	Timeout time.Duration
	// Verify, when set, checks the plan right after it is read, before the
	// cluster is touched (inline signature verification).
	Verify func(context.Context, *plan.Loaded) error
}

// Opened is a plan read, its clusters connected and its release locked.
type Opened struct {
	Plan *plan.Loaded
	Env  *Env
	lock *kube.Lock
}

// Open reads the plan, places its topology, checks the step supports it,
// and takes the lock of the release in the placement's home: the
// namespace, in the cluster that decides the traffic, holding its route and
// record. The other clusters the step needs are connected on first use;
// every operation reads all it needs before it writes anything, so an
// unreachable cluster fails it before anything is touched. Close releases
// the lock. The returned context is canceled if the lock is lost.
func Open(ctx context.Context, t Target, place func(topology.Placement) error) (context.Context, *Opened, error) {
	l, err := plan.Read(ctx, t.Plan, plan.ReadOptions{Registry: t.Registry})
	if err != nil {
		return ctx, nil, fmt.Errorf("reading plan: %w", err)
	}
	if t.Verify != nil {
		if err := t.Verify(ctx, l); err != nil {
			return ctx, nil, err
		}
	}
	p, err := topology.Place(l.Plan.Config.Topology, topology.Options{Namespace: t.Namespace})
	if err != nil {
		return ctx, nil, err
	}
	if err := topology.Supported(p, t.Step); err != nil {
		return ctx, nil, err
	}
	if place != nil {
		if err := place(p); err != nil {
			return ctx, nil, err
		}
	}
	kopts := kube.Options{Kubeconfig: t.Kubeconfig, Context: t.Context, RequestTimeout: t.RequestTimeout}
	if kopts.Kubeconfig == "" && t.KubeconfigEnv != "" {
		kopts.KubeconfigPaths = filepath.SplitList(t.KubeconfigEnv)
	}
	clusters := kube.NewResolver(kopts)
	home, err := clusters.Clients(ctx, p.Home().Context)
	if err != nil {
		return ctx, nil, err
	}
	lock, err := home.Lock(ctx, kube.LockOptions{Namespace: p.Home().Namespace, Holder: t.Holder, TTL: t.LockTTL, Wait: t.LockWait, Notify: t.Notify})
	if err != nil {
		return ctx, nil, err
	}
	env := NewEnv(p, clusters)
	env.Images = RegistryImages{Client: registry.New(t.Registry)}
	env.Timeout = t.Timeout
	return lock.Context(), &Opened{Plan: l, Env: env, lock: lock}, nil
}

// UI is how a step shows progress and warnings; *step.Session has it.
type UI interface {
	Progress(msg string)
	Warning(msg string)
}

// OpenFor is Open for a step: progress lines go to ui, and done releases the
// lock, reporting a failed release as a warning. done is never nil.
func OpenFor(ctx context.Context, ui UI, t Target, place func(topology.Placement) error) (_ context.Context, _ *Opened, done func(), _ error) {
	if t.Notify == nil {
		t.Notify = ui.Progress
	}
	ctx, o, err := Open(ctx, t, place)
	if err != nil {
		return ctx, nil, func() {}, err
	}
	o.Env.Progress = ui.Progress
	return ctx, o, func() {
		if err := o.Close(ctx); err != nil {
			ui.Warning(err.Error())
		}
	}, nil
}

// Close releases the release's lock, even when ctx is canceled. It
// retries for up to closeTimeout: a lease left behind holds the next step
// back until it expires.
func (o *Opened) Close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	return o.lock.Release(ctx)
}

// closeTimeout bounds Close: the release's tries, each bounded by the
// request timeout, with kube.Retry's backoff between them.
const closeTimeout = 30 * time.Second

// LockLost returns the reason ctx was canceled when the lock was lost, or
// err unchanged.
func LockLost(ctx context.Context, err error) error {
	if err != nil && errors.Is(err, context.Canceled) {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			return cause
		}
	}
	return err
}

// Holder names the pipeline run from the CI system's variables, so that a
// re-run of the same job takes its own lock back while another run is
// kept out: github:<repo>/runs/<id>, gitlab:<project>/pipelines/<id>, or
// the host name and process id elsewhere (a Tekton step's host name is its
// pod).
func Holder(getenv func(string) string, step string) string {
	switch {
	case getenv("GITHUB_RUN_ID") != "":
		return fmt.Sprintf("github:%s/runs/%s", getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID"))
	case getenv("CI_PIPELINE_ID") != "":
		return fmt.Sprintf("gitlab:%s/pipelines/%s", getenv("CI_PROJECT_PATH"), getenv("CI_PIPELINE_ID"))
	}
	host := getenv("HOSTNAME")
	if host == "" {
		host, _ = os.Hostname()
	}
	return strings.TrimPrefix(fmt.Sprintf("%s:%s/%d", step, host, os.Getpid()), ":")
}
