package devenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/toolcache"
)

// PrometheusOptions configures a Prometheus server.
type PrometheusOptions struct {
	// Targets are "host:port" endpoints serving /metrics, scraped as job
	// "telemetry".
	Targets []string
	// ScrapeInterval defaults to one second.
	ScrapeInterval time.Duration
}

// Prometheus is a real Prometheus server (Debian's package, or one built
// by internal/toolcache) on a free loopback port with its own data directory.
type Prometheus struct {
	// URL is the server's base URL, "http://127.0.0.1:<port>".
	URL string
	// ScrapeInterval is the configured scrape (and evaluation) interval.
	ScrapeInterval time.Duration
	// Dir holds its configuration, data and log (prometheus.log).
	Dir string

	proc      *process
	closeOnce sync.Once
}

// ErrNoSamples is returned by Query when the result is empty.
var ErrNoSamples = errors.New("query returned no samples")

// NewPrometheus starts Prometheus and waits until it is ready. Close stops it.
func NewPrometheus(ctx context.Context, opts PrometheusOptions) (*Prometheus, error) {
	if opts.ScrapeInterval <= 0 {
		opts.ScrapeInterval = time.Second
	}
	bin, err := toolcache.Path(ctx, "prometheus")
	if err != nil {
		return nil, fmt.Errorf("finding prometheus: %w", err)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		p, err := startPrometheus(ctx, bin, opts)
		if err == nil {
			return p, nil
		}
		lastErr = err
		if !addressInUse(err) || ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// StartPrometheus starts Prometheus for the test, scraping targets every
// second, and stops it when the test ends.
func StartPrometheus(t testing.TB, targets ...string) *Prometheus {
	t.Helper()
	// Finding (on first use, building) the binary is not bounded; the start is.
	if _, err := toolcache.Path(context.Background(), "prometheus"); err != nil {
		t.Fatalf("starting prometheus: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := NewPrometheus(ctx, PrometheusOptions{Targets: targets})
	if err != nil {
		t.Fatalf("starting prometheus: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func startPrometheus(ctx context.Context, bin string, opts PrometheusOptions) (_ *Prometheus, err error) {
	dir, err := newWorkDir("prometheus")
	if err != nil {
		return nil, err
	}
	p := &Prometheus{Dir: dir, ScrapeInterval: opts.ScrapeInterval}
	defer func() {
		if err != nil {
			_ = p.Close()
		}
	}()
	config := filepath.Join(dir, "prometheus.yml")
	if err := writeFile(config, prometheusConfig(opts)); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p.URL = "http://127.0.0.1:" + strconv.Itoa(port)
	p.proc, err = startProcess("prometheus", bin, []string{
		"--config.file=" + config,
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--storage.tsdb.retention.time=2h",
		"--web.listen-address=127.0.0.1:" + strconv.Itoa(port),
		"--log.level=warn",
	}, filepath.Join(dir, "prometheus.log"), childEnv...)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 2 * time.Second}
	err = poll(ctx, 50*time.Millisecond, func() (bool, error) {
		if done, err := p.proc.exited(); done {
			return false, err
		}
		resp, err := client.Get(p.URL + "/-/ready")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for prometheus: %w", err)
	}
	return p, nil
}

func prometheusConfig(opts PrometheusOptions) []byte {
	interval := opts.ScrapeInterval.String()
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n", interval, interval, interval)
	b.WriteString("scrape_configs:\n- job_name: telemetry\n  static_configs:\n  - targets: [")
	for i, t := range opts.Targets {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(t))
	}
	b.WriteString("]\n")
	return []byte(b.String())
}

// Query runs an instant PromQL query and returns the value of its first
// sample (or the scalar), or ErrNoSamples.
func (p *Prometheus) Query(ctx context.Context, query string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/api/v1/query?query="+url.QueryEscape(query), nil)
	if err != nil {
		return 0, fmt.Errorf("building query: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("querying prometheus: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, fmt.Errorf("decoding query response: %w", err)
	}
	if body.Status != "success" {
		return 0, fmt.Errorf("query %q: %s", query, body.Error)
	}
	var value []any
	switch body.Data.ResultType {
	case "scalar":
		if err := json.Unmarshal(body.Data.Result, &value); err != nil {
			return 0, fmt.Errorf("decoding scalar: %w", err)
		}
	case "vector":
		var vec []struct {
			Value []any `json:"value"`
		}
		if err := json.Unmarshal(body.Data.Result, &vec); err != nil {
			return 0, fmt.Errorf("decoding vector: %w", err)
		}
		if len(vec) == 0 {
			return 0, ErrNoSamples
		}
		value = vec[0].Value
	default:
		return 0, fmt.Errorf("query %q: unsupported result type %q", query, body.Data.ResultType)
	}
	if len(value) != 2 {
		return 0, fmt.Errorf("query %q: malformed sample %v", query, value)
	}
	s, _ := value[1].(string)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("query %q: parsing sample value %q: %w", query, s, err)
	}
	return f, nil
}

// Close stops Prometheus and removes its files.
func (p *Prometheus) Close() error {
	var err error
	p.closeOnce.Do(func() {
		if p.proc != nil {
			p.proc.kill()
		}
		if os.Getenv("AVIARY_DEVENV_KEEP") == "" {
			err = os.RemoveAll(p.Dir)
		}
	})
	return err
}
