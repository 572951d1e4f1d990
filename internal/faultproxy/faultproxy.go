package faultproxy

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fault is what the proxy does to one request.
type Fault string

// The faults. None passes the request on untouched.
const (
	None      Fault = ""
	Status5xx Fault = "503"          // answer 503 without asking the target
	TooMany   Fault = "429"          // answer 429 with Retry-After: 1
	Reset     Fault = "reset"        // close the connection with a TCP reset, nothing answered
	Half      Fault = "half-written" // pass the request on, then cut the answer off half-way
	Stall     Fault = "stall"        // say nothing until the client gives up (or StallFor passes)
)

// Faults lists every fault but None.
var Faults = []Fault{Status5xx, TooMany, Reset, Half, Stall}

// Plan decides the fault of the n-th request (from 1) the proxy sees.
type Plan func(n int, r *http.Request) Fault

// Options configure a proxy.
type Options struct {
	// Target is the server requests are passed on to.
	Target *url.URL
	// Transport reaches Target; nil is a clone of http.DefaultTransport.
	Transport http.RoundTripper
	// TLS, when set, makes the proxy serve HTTPS with it (HTTP/1.1 only).
	TLS *tls.Config
	// StallFor bounds a stall, after which the proxy drops the connection;
	// 0 means 2 minutes (in practice the client gives up first).
	StallFor time.Duration
}

// Proxy is a running fault proxy.
type Proxy struct {
	// URL is the proxy's base URL; Addr its host:port.
	URL, Addr string

	srv    *httptest.Server
	fwd    *httputil.ReverseProxy
	opts   Options
	plan   atomic.Pointer[Plan]
	n      atomic.Int64
	mu     sync.Mutex
	counts map[Fault]int
}

// Start starts a proxy for the test in front of opts.Target, passing every
// request on until SetPlan is called; it stops when the test ends.
func Start(t testing.TB, opts Options) *Proxy {
	t.Helper()
	if opts.StallFor <= 0 {
		opts.StallFor = 2 * time.Minute
	}
	tr := opts.Transport
	if tr == nil {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	p := &Proxy{opts: opts, counts: map[Fault]int{}}
	p.fwd = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(opts.Target)
			r.Out.Host = opts.Target.Host
		},
		Transport:      tr,
		FlushInterval:  -1,
		ErrorLog:       discard,
		ModifyResponse: p.relocate,
	}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	p.srv.Config.ErrorLog = discard
	p.Addr = p.srv.Listener.Addr().String()
	if opts.TLS != nil {
		cfg := opts.TLS.Clone()
		cfg.NextProtos = []string{"http/1.1"}
		p.srv.TLS = cfg
		p.srv.StartTLS()
	} else {
		p.srv.Start()
	}
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// relocate points a Location header that names the target at the proxy
// (a registry names its upload URLs absolutely), so that the client stays
// behind the proxy.
func (p *Proxy) relocate(resp *http.Response) error {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil
	}
	u, err := url.Parse(loc)
	if err != nil || u.Host != p.opts.Target.Host {
		return nil
	}
	u.Host = p.Addr
	if p.opts.TLS != nil {
		u.Scheme = "https"
	} else {
		u.Scheme = "http"
	}
	resp.Header.Set("Location", u.String())
	return nil
}

// SetPlan makes plan decide the fault of every request from now on; nil
// passes every request on.
func (p *Proxy) SetPlan(plan Plan) {
	if plan == nil {
		p.plan.Store(nil)
		return
	}
	p.plan.Store(&plan)
}

// Injected returns how many requests got each fault.
func (p *Proxy) Injected() map[Fault]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[Fault]int, len(p.counts))
	for f, n := range p.counts {
		out[f] = n
	}
	return out
}

// Total is the number of faults injected.
func (p *Proxy) Total() int {
	n := 0
	for _, c := range p.Injected() {
		n += c
	}
	return n
}

// Summary is the counts as one line, in a stable order.
func (p *Proxy) Summary() string {
	counts := p.Injected()
	var parts []string
	for f, n := range counts {
		parts = append(parts, fmt.Sprintf("%s×%d", f, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	n := int(p.n.Add(1))
	fault := None
	if plan := p.plan.Load(); plan != nil {
		fault = (*plan)(n, r)
	}
	if fault != None && fault != Half { // a half-written answer counts once cut
		p.count(fault)
	}
	switch fault {
	case Status5xx:
		http.Error(w, "injected: service unavailable", http.StatusServiceUnavailable)
	case TooMany:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "injected: too many requests", http.StatusTooManyRequests)
	case Reset:
		reset(w)
	case Stall:
		// A server notices a client gone only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(p.opts.StallFor):
		}
		reset(w)
	case Half:
		h := &halfWriter{ResponseWriter: w}
		p.fwd.ServeHTTP(h, r)
		if h.cut() {
			p.count(Half)
			reset(w)
		}
	default:
		p.fwd.ServeHTTP(w, r)
	}
}

func (p *Proxy) count(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[f]++
}

// reset closes the client's connection with a TCP reset.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	c, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := underlying(c).(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

func underlying(c net.Conn) net.Conn {
	if tc, ok := c.(*tls.Conn); ok {
		return tc.NetConn()
	}
	return c
}

// halfWriter passes on the headers and the first half of the body (at
// least a byte short of it), then swallows the rest.
type halfWriter struct {
	http.ResponseWriter
	limit, written, withheld int
	header                   bool
}

func (h *halfWriter) WriteHeader(code int) {
	if h.header {
		return
	}
	h.header = true
	h.limit = 1
	if cl := h.Header().Get("Content-Length"); cl != "" {
		var n int
		fmt.Sscan(cl, &n)
		h.limit = n / 2
	}
	h.ResponseWriter.WriteHeader(code)
}

// cut reports whether part of the answer was withheld.
func (h *halfWriter) cut() bool { return h.withheld > 0 }

func (h *halfWriter) Write(b []byte) (int, error) {
	if !h.header {
		h.WriteHeader(http.StatusOK)
	}
	h.withheld += max(0, len(b)-max(0, h.limit-h.written))
	if room := h.limit - h.written; room > 0 {
		k := min(room, len(b))
		n, err := h.ResponseWriter.Write(b[:k])
		h.written += n
		if err != nil {
			return n, err
		}
		if f, ok := h.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
	}
	return len(b), nil
}

func (h *halfWriter) Flush() {}

var discard = newDiscardLogger()
