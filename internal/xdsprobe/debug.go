package xdsprobe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Config is one configuration object istiod holds (/debug/configz): what
// it accepted, after its own validation.
type Config struct {
	Kind, Namespace, Name, ResourceVersion string
	Created                                time.Time
	// Spec is the object's spec as istiod holds it, in JSON.
	Spec json.RawMessage
}

func (c Config) String() string {
	return fmt.Sprintf("%s %s/%s (resourceVersion %s)", c.Kind, c.Namespace, c.Name, c.ResourceVersion)
}

// ErrNoDebugAddr is returned by the debug readers of a probe made without
// Options.DebugAddr.
var ErrNoDebugAddr = errors.New("no istiod debug address")

// Configs returns the configuration objects istiod holds, of every kind
// (VirtualService, DestinationRule, Gateway, ...), sorted.
func (p *Probe) Configs(ctx context.Context) ([]Config, error) {
	var raw []struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name              string    `json:"name"`
			Namespace         string    `json:"namespace"`
			ResourceVersion   string    `json:"resourceVersion"`
			CreationTimestamp time.Time `json:"creationTimestamp"`
		} `json:"metadata"`
		Spec json.RawMessage `json:"spec"`
	}
	if err := p.debugJSON(ctx, "/debug/configz", &raw); err != nil {
		return nil, err
	}
	out := make([]Config, 0, len(raw))
	for _, r := range raw {
		out = append(out, Config{Kind: r.Kind, Namespace: r.Metadata.Namespace, Name: r.Metadata.Name,
			ResourceVersion: r.Metadata.ResourceVersion, Created: r.Metadata.CreationTimestamp, Spec: r.Spec})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out, nil
}

// Conflicts returns what istiod's last push recorded against the
// configuration (/debug/push_status), keyed by metric
// ("pilot_vservice_dup_domain", "pilot_destrule_subsets", ...) and then by
// the object or host it concerns, to istiod's message.
func (p *Probe) Conflicts(ctx context.Context) (map[string]map[string]string, error) {
	var raw map[string]map[string]struct {
		Proxy   string `json:"proxy"`
		Message string `json:"message"`
	}
	if err := p.debugJSON(ctx, "/debug/push_status", &raw); err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for metric, entries := range raw {
		for key, e := range entries {
			if out[metric] == nil {
				out[metric] = map[string]string{}
			}
			out[metric][key] = strings.TrimSpace(e.Proxy + " " + e.Message)
		}
	}
	return out, nil
}

func (p *Probe) debugJSON(ctx context.Context, path string, v any) error {
	if p.opts.DebugAddr == "" {
		return ErrNoDebugAddr
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.opts.DebugAddr+path, nil)
	if err != nil {
		return fmt.Errorf("building a request for %s: %w", path, err)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return fmt.Errorf("reading istiod's %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reading istiod's %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("decoding istiod's %s: %w", path, err)
	}
	return nil
}

// diagnose describes istiod's view of the networking configuration of the
// namespaces, for a Wait that timed out; empty without a debug address.
func (p *Probe) diagnose(ctx context.Context, namespaces ...string) string {
	if p.opts.DebugAddr == "" {
		return ""
	}
	var b strings.Builder
	configs, err := p.Configs(ctx)
	if err != nil {
		fmt.Fprintf(&b, "\nistiod's configuration: %v", err)
	} else {
		fmt.Fprintf(&b, "\nistiod holds, in %s:", strings.Join(namespaces, ", "))
		n := 0
		for _, c := range configs {
			for _, ns := range namespaces {
				if c.Namespace == ns {
					fmt.Fprintf(&b, "\n  %s: %s", c, c.Spec)
					n++
				}
			}
		}
		if n == 0 {
			b.WriteString(" nothing")
		}
		for _, msg := range Shadowed(configs) {
			b.WriteString("\n" + msg)
		}
	}
	conflicts, err := p.Conflicts(ctx)
	if err != nil {
		fmt.Fprintf(&b, "\nistiod's push status: %v", err)
	} else if len(conflicts) > 0 {
		b.WriteString("\nistiod's last push recorded:")
		metrics := make([]string, 0, len(conflicts))
		for m := range conflicts {
			metrics = append(metrics, m)
		}
		sort.Strings(metrics)
		for _, m := range metrics {
			for k, msg := range conflicts[m] {
				fmt.Fprintf(&b, "\n  %s %s: %s", m, k, msg)
			}
		}
	}
	return b.String()
}
