package kube

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/stall"
)

// FieldManager is the one field manager aviary writes under.
const FieldManager = "aviary"

// Options says which cluster to talk to. The zero value uses KUBECONFIG (or
// ~/.kube/config, or the in-cluster configuration) and its current context.
type Options struct {
	// Kubeconfig is the path of a kubeconfig file; empty takes the usual
	// loading rules.
	Kubeconfig string
	// KubeconfigPaths, used when Kubeconfig is empty, are kubeconfig files
	// merged in order (a KUBECONFIG list).
	KubeconfigPaths []string
	// Context is the kubeconfig context; empty is the current context.
	Context string
	// QPS and Burst bound the request rate; 0 means 200 and 400. client-go's
	// own defaults (5 and 10) would make a 100-service release crawl.
	QPS   float32
	Burst int
	// ProbeTimeout bounds the first request that checks the server is
	// reachable; 0 means 10s.
	ProbeTimeout time.Duration
	// RequestTimeout bounds every request (rest.Config.Timeout) and every
	// silence of the server within one (package stall); 0 means
	// stall.DefaultTimeout. A request that runs into it is retried by Retry
	// like any transient failure.
	RequestTimeout time.Duration
}

// Clients are the API clients of one cluster.
type Clients struct {
	// Host is the API server's URL, for messages.
	Host    string
	Config  *rest.Config
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
	// Mapper maps kinds to resources, discovering them lazily.
	Mapper meta.ResettableRESTMapper
}

// RESTConfig loads the client configuration named by opts.
func RESTConfig(opts Options) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if opts.Kubeconfig != "" {
		rules.ExplicitPath = opts.Kubeconfig
	} else if len(opts.KubeconfigPaths) > 0 {
		rules.Precedence = opts.KubeconfigPaths
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: opts.Context}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		where := "the default kubeconfig"
		if opts.Kubeconfig != "" {
			where = fmt.Sprintf("kubeconfig %q", opts.Kubeconfig)
		}
		if opts.Context != "" {
			where += fmt.Sprintf(" (context %q)", opts.Context)
		}
		return nil, outcome.Invalidf("loading %s: %w", where, err)
	}
	return cfg, nil
}

// Connect builds clients for the cluster named by opts and checks that its
// API server answers. An unreachable server is an External error naming it.
func Connect(ctx context.Context, opts Options) (*Clients, error) {
	cfg, err := RESTConfig(opts)
	if err != nil {
		return nil, err
	}
	c, err := NewClients(cfg, opts)
	if err != nil {
		return nil, err
	}
	if err := c.Probe(ctx, opts.ProbeTimeout); err != nil {
		return nil, err
	}
	return c, nil
}

// quietKlog keeps client-go's own log lines (klog: discovery errors it
// retries or reports itself) off the step's stderr: this package reports
// through its errors.
var quietKlog sync.Once

// NewClients builds clients from a REST configuration without contacting
// the server.
func NewClients(cfg *rest.Config, opts Options) (*Clients, error) {
	quietKlog.Do(func() { klog.SetSlogLogger(slog.New(slog.DiscardHandler)) })
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = opts.QPS, opts.Burst
	if cfg.QPS == 0 {
		cfg.QPS = 200
	}
	if cfg.Burst == 0 {
		cfg.Burst = 400
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "aviary"
	}
	timeout := opts.RequestTimeout
	if timeout <= 0 {
		timeout = stall.DefaultTimeout
	}
	if cfg.Timeout <= 0 || cfg.Timeout > timeout {
		cfg.Timeout = timeout
	}
	if cfg.Dial == nil {
		cfg.Dial = stall.Dialer(timeout)
	}
	// Built-in kinds travel as protobuf, as kubectl's do: the API server
	// encodes and decodes it several times faster than JSON, which counts
	// when a step lists and writes hundreds of Deployments and ConfigMaps.
	// Custom resources (Istio's) have no protobuf form; their clients and
	// the dynamic one keep JSON.
	pb := rest.CopyConfig(cfg)
	pb.ContentType = "application/vnd.kubernetes.protobuf"
	pb.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	kc, err := kubernetes.NewForConfig(pb)
	if err != nil {
		return nil, outcome.Invalidf("building a Kubernetes client for %s: %w", cfg.Host, err)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, outcome.Invalidf("building a dynamic client for %s: %w", cfg.Host, err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, outcome.Invalidf("building a discovery client for %s: %w", cfg.Host, err)
	}
	return &Clients{
		Host:    cfg.Host,
		Config:  cfg,
		Kube:    kc,
		Dynamic: dc,
		Mapper:  restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc)),
	}, nil
}

// Probe checks that the API server answers within timeout (0 means 10s).
func (c *Clients) Probe(ctx context.Context, timeout time.Duration) error {
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// A namespaced read a narrow Role may be denied is a poor probe;
	// /version is open to every authenticated user. A server that is busy
	// or drops the connection gets a few more tries within the timeout.
	err := Retry(pctx, func(ctx context.Context) error {
		return c.Kube.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Error()
	})
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case pctx.Err() != nil:
		return outcome.Externalf("cannot reach the Kubernetes API server at %s: no answer within %s", c.Host, timeout)
	default:
		return outcome.Externalf("cannot reach the Kubernetes API server at %s: %w", c.Host, err)
	}
}
