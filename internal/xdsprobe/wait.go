package xdsprobe

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/aviary-cd/aviary/pkg/clock"
)

// WaitSplit asks istiod for the split of host and port (see Split) until
// its shares equal want (weights, and IPs as sets) or the probe's Timeout
// passes. It returns the last split istiod sent; on a timeout the error
// says what istiod last sent, what it holds of the namespaces' networking
// configuration and what its last push recorded against it.
func (p *Probe) WaitSplit(ctx context.Context, host string, port int, want map[string]Share) (Split, error) {
	want = normalShares(want)
	var got Split
	err := p.wait(ctx, func(ctx context.Context) (bool, error) {
		var err error
		got, err = p.Split(ctx, host, port)
		if err != nil {
			return false, err
		}
		return reflect.DeepEqual(normalShares(got.Shares), want), nil
	})
	if err != nil {
		return got, fmt.Errorf("waiting for the split of %s:%d to be %s: istiod sent %s%s",
			host, port, formatShares(want), describe(got, err), p.diagnose(ctx, p.namespaces(host)...))
	}
	return got, nil
}

// WaitEndpoints asks istiod for the endpoints of cluster until their IPs
// are ips (as sets) or the probe's Timeout passes, and returns the last
// answer.
func (p *Probe) WaitEndpoints(ctx context.Context, cluster string, ips []string) ([]Endpoint, error) {
	want := normalIPs(ips)
	var got []Endpoint
	err := p.wait(ctx, func(ctx context.Context) (bool, error) {
		var err error
		got, err = p.Endpoints(ctx, cluster)
		if err != nil {
			return false, err
		}
		return slices.Equal(normalIPs(IPs(got)), want), nil
	})
	if err != nil {
		return got, fmt.Errorf("waiting for the endpoints of %s to be %v: istiod sent %v (%v)", cluster, want, IPs(got), err)
	}
	return got, nil
}

// WaitConfig waits until istiod holds the named object (kind
// "VirtualService", "DestinationRule", ...) at resourceVersion, or at any
// version when resourceVersion is empty, so that a test knows istiod has
// taken in a write before it asks what the write changed. It needs the
// probe's DebugAddr.
func (p *Probe) WaitConfig(ctx context.Context, kind, namespace, name, resourceVersion string) error {
	var last string
	err := p.wait(ctx, func(ctx context.Context) (bool, error) {
		configs, err := p.Configs(ctx)
		if err != nil {
			return false, err
		}
		last = "nothing"
		for _, c := range configs {
			if c.Kind == kind && c.Namespace == namespace && c.Name == name {
				last = c.String()
				return resourceVersion == "" || c.ResourceVersion == resourceVersion, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for istiod to hold %s %s/%s (resourceVersion %q): it holds %s: %w", kind, namespace, name, resourceVersion, last, err)
	}
	return nil
}

// wait calls check every Interval until it reports done or the Timeout
// passes; it then returns the last error of check, or the timeout.
func (p *Probe) wait(ctx context.Context, check func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	start := time.Now()
	for {
		done, err := check(ctx)
		if done {
			return nil
		}
		if cerr := clock.Sleep(ctx, p.opts.Interval); cerr != nil {
			if err == nil {
				err = cerr
			}
			return fmt.Errorf("after %s: %w", time.Since(start).Round(time.Millisecond), err)
		}
	}
}

// namespaces are where the configuration deciding host's routes may live:
// the host's namespace (from its FQDN) and the node's.
func (p *Probe) namespaces(host string) []string {
	out := []string{p.opts.Node.Namespace}
	if parts := strings.Split(host, "."); len(parts) >= 3 && parts[2] == "svc" && parts[1] != out[0] {
		out = append(out, parts[1])
	}
	return out
}

func describe(s Split, err error) string {
	if s.VirtualHost == "" {
		return fmt.Sprintf("no such route (%v)", err)
	}
	return fmt.Sprintf("%s on %s (%d routes) (%v)", s, s.VirtualHost, s.Routes, err)
}

func normalShares(m map[string]Share) map[string]Share {
	out := make(map[string]Share, len(m))
	for k, s := range m {
		out[k] = Share{Weight: s.Weight, IPs: normalIPs(s.IPs)}
	}
	return out
}

func normalIPs(ips []string) []string {
	out := slices.Clone(ips)
	sortIPs(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}
