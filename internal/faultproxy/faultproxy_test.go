package faultproxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFaults: each fault reaches the client as it would from a real
// server in trouble, and is counted; None passes the answer on whole.
func TestFaults(t *testing.T) {
	body := strings.Repeat("answer ", 100)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "700")
		io.WriteString(w, body)
	}))
	t.Cleanup(target.Close)
	u, _ := url.Parse(target.URL)
	p := Start(t, Options{Target: u})
	client := &http.Client{Timeout: 500 * time.Millisecond}

	tests := []struct {
		fault Fault
		check func(resp *http.Response, err error) string // "" when as expected
	}{
		{None, func(resp *http.Response, err error) string {
			if err != nil || resp.StatusCode != 200 {
				return "want 200"
			}
			if b, err := io.ReadAll(resp.Body); err != nil || string(b) != body {
				return "want the whole body"
			}
			return ""
		}},
		{Status5xx, func(resp *http.Response, err error) string {
			if err != nil || resp.StatusCode != 503 {
				return "want 503"
			}
			return ""
		}},
		{TooMany, func(resp *http.Response, err error) string {
			if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
				return "want 429 with Retry-After: 1"
			}
			return ""
		}},
		{Reset, func(resp *http.Response, err error) string {
			if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
				return "want a reset connection"
			}
			return ""
		}},
		{Half, func(resp *http.Response, err error) string {
			if err != nil {
				return "want headers"
			}
			if _, err := io.ReadAll(resp.Body); !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) {
				return "want the body cut off"
			}
			return ""
		}},
		{Stall, func(resp *http.Response, err error) string {
			if err == nil || !strings.Contains(err.Error(), "Client.Timeout") {
				return "want no answer before the client's timeout"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(name(tt.fault), func(t *testing.T) {
			p.SetPlan(func(int, *http.Request) Fault { return tt.fault })
			resp, err := client.Get(p.URL + "/x")
			if msg := tt.check(resp, err); msg != "" {
				t.Errorf("GET with fault %q = %v, %v: %s", tt.fault, resp, err, msg)
			}
			if resp != nil {
				resp.Body.Close()
			}
		})
	}
	p.SetPlan(nil)
	want := map[Fault]int{Status5xx: 1, TooMany: 1, Reset: 1, Half: 1, Stall: 1}
	for f, n := range want {
		if got := p.Injected()[f]; got != n {
			t.Errorf("Injected()[%s] = %d, want %d", f, got, n)
		}
	}
	if p.Total() != 5 {
		t.Errorf("Total() = %d, want 5", p.Total())
	}
}

// TestTLS: the proxy serves its own certificate and passes requests on to
// a TLS target it trusts.
func TestTLS(t *testing.T) {
	target := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(target.Close)
	u, _ := url.Parse(target.URL)
	cfg, caPEM, err := SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	p := Start(t, Options{Target: u, Transport: target.Client().Transport, TLS: cfg})
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, _ := io.ReadAll(resp.Body); string(b) != "ok" {
		t.Errorf("GET through the TLS proxy = %q, want ok", b)
	}
}

func TestRandomIsSeeded(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	draw := func() []Fault {
		plan := Random(42, 0.3, 3, nil)
		var out []Fault
		for i := 1; i <= 200; i++ {
			out = append(out, plan(i, r))
		}
		return out
	}
	a, b := draw(), draw()
	faults := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("Random(42) differs at request %d: %q then %q", i+1, a[i], b[i])
		}
		if a[i] != None {
			faults++
		}
	}
	if faults < 30 || faults > 120 {
		t.Errorf("Random(42, 0.3) gave %d faults in 200 requests", faults)
	}
}

func name(f Fault) string {
	if f == None {
		return "none"
	}
	return string(f)
}
