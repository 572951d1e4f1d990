package devenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/xds"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// CallerOptions is a calling workload: who it is, which istiod it takes
// its routes from, and what it calls.
type CallerOptions struct {
	// Workload, Namespace and App name the caller (source_workload,
	// source_workload_namespace, source_app; App defaults to Workload).
	// Namespace decides which routes istiod sends it. Required: Workload
	// and Namespace.
	Workload, Namespace, App string
	// Istiod serves the caller its routes and endpoints over xDS; its
	// cluster is the caller's (source_cluster).
	Istiod *Istiod
	// Calls are the services called and at what rate.
	Calls []Call
	// Timeout bounds each request (default 2 s).
	Timeout time.Duration
}

// Call is a steady stream of requests to one service port.
type Call struct {
	// Host is the service's host, "cart.shop.svc.cluster.local".
	Host string
	// Port is the service port (default 80).
	Port int
	// RPS is the request rate; 0 sends nothing until SetRate.
	RPS float64
}

// Caller is a calling workload sending requests through gRPC's xDS
// resolver, one channel per called service.
type Caller struct {
	opts    CallerOptions
	mesh    *Mesh
	streams map[string]*callStream // by host
	conns   []*grpc.ClientConn
}

// Call starts a calling workload: a gRPC channel per service to
// "xds:///<host>:<port>", with an xDS bootstrap of its own introducing it
// to istiod as a proxyless gRPC sidecar (GENERATOR=grpc) in its namespace,
// and a steady rate of requests on each. It stops when the mesh closes.
func (m *Mesh) Call(opts CallerOptions) (*Caller, error) {
	if opts.Workload == "" || opts.Namespace == "" || opts.Istiod == nil {
		return nil, fmt.Errorf("a caller needs a workload, a namespace and an istiod, got %q in %q", opts.Workload, opts.Namespace)
	}
	if opts.App == "" {
		opts.App = opts.Workload
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	bootstrap, err := xdsBootstrap(opts)
	if err != nil {
		return nil, err
	}
	c := &Caller{opts: opts, mesh: m, streams: map[string]*callStream{}}
	for _, call := range opts.Calls {
		if call.Port == 0 {
			call.Port = 80
		}
		if call.Host == "" {
			c.close()
			return nil, fmt.Errorf("caller %s/%s: a call names no host", opts.Namespace, opts.Workload)
		}
		// A resolver of its own per channel: grpc-go's testing entry point
		// builds an xDS client per resolver, with this caller's node.
		builder, err := xds.NewXDSResolverWithConfigForTesting(bootstrap)
		if err != nil {
			c.close()
			return nil, fmt.Errorf("building the xDS resolver of %s/%s: %w", opts.Namespace, opts.Workload, err)
		}
		conn, err := c.dial(call, builder)
		if err != nil {
			c.close()
			return nil, err
		}
		c.conns = append(c.conns, conn)
		s := newCallStream(c, conn, call)
		c.streams[call.Host] = s
		go s.run()
	}
	m.mu.Lock()
	closed := m.closed
	if !closed {
		m.callers = append(m.callers, c)
	}
	m.mu.Unlock()
	if closed {
		c.close()
		return nil, fmt.Errorf("starting caller %s/%s: the mesh is closed", opts.Namespace, opts.Workload)
	}
	return c, nil
}

func (c *Caller) dial(call Call, builder resolver.Builder) (*grpc.ClientConn, error) {
	target := "xds:///" + call.Host + ":" + strconv.Itoa(call.Port)
	conn, err := grpc.NewClient(target,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithResolvers(builder),
		grpc.WithContextDialer(c.mesh.dialPod),
		grpc.WithStatsHandler(answeredBy{}),
	)
	if err != nil {
		return nil, fmt.Errorf("connecting %s/%s to %s: %w", c.opts.Namespace, c.opts.Workload, target, err)
	}
	return conn, nil
}

// SetRate changes the request rate to host from now on.
func (c *Caller) SetRate(host string, rps float64) error {
	s, ok := c.streams[host]
	if !ok {
		return fmt.Errorf("caller %s/%s does not call %s", c.opts.Namespace, c.opts.Workload, host)
	}
	s.setRate(rps)
	return nil
}

func (c *Caller) close() {
	for _, s := range c.streams {
		s.stop()
	}
	for _, conn := range c.conns {
		_ = conn.Close()
	}
}

// xdsBootstrap is gRPC's xDS bootstrap for a caller: istiod's plain-text
// xDS address and the node istiod knows the caller by. GENERATOR=grpc makes
// istiod send what a proxyless gRPC client understands, not Envoy's
// listeners.
func xdsBootstrap(opts CallerOptions) ([]byte, error) {
	clusterID := opts.Istiod.ClusterID
	boot := map[string]any{
		"xds_servers": []any{map[string]any{
			"server_uri":      opts.Istiod.GRPCAddr,
			"channel_creds":   []any{map[string]any{"type": "insecure"}},
			"server_features": []any{"xds_v3"},
		}},
		"node": map[string]any{
			"id": fmt.Sprintf("sidecar~%s~%s.%s~%s.svc.cluster.local", callerIP, opts.Workload, opts.Namespace, opts.Namespace),
			"metadata": map[string]any{
				"NAMESPACE":  opts.Namespace,
				"CLUSTER_ID": clusterID,
				"GENERATOR":  "grpc",
				"NAME":       opts.Workload,
				"LABELS":     map[string]any{"app": opts.App},
			},
		},
	}
	data, err := json.Marshal(boot)
	if err != nil {
		return nil, fmt.Errorf("encoding the xDS bootstrap: %w", err)
	}
	return data, nil
}

// callerIP is the address callers give istiod: outside every pod range.
const callerIP = "10.255.255.253"

// dialPod connects to the loopback server of the pod whose IP istiod gave
// as an endpoint. The connection reports the pod's address as its remote
// address, so that a call's peer names the pod that answered.
func (m *Mesh) dialPod(ctx context.Context, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	s, ok := m.serverFor(ctx, host, time.Second)
	if !ok {
		return nil, fmt.Errorf("no pod of the mesh has IP %s", host)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return nil, err
	}
	remote, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return podConn{Conn: conn, remote: remote}, nil
}

type podConn struct {
	net.Conn
	remote net.Addr
}

func (c podConn) RemoteAddr() net.Addr { return c.remote }

// callStream sends requests to one host at a steady rate.
type callStream struct {
	caller *Caller
	conn   *grpc.ClientConn
	call   Call
	rate   chan float64
	quit   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

func newCallStream(c *Caller, conn *grpc.ClientConn, call Call) *callStream {
	return &callStream{caller: c, conn: conn, call: call, rate: make(chan float64, 1), quit: make(chan struct{})}
}

func (s *callStream) setRate(rps float64) {
	select {
	case <-s.rate:
	default:
	}
	s.rate <- rps
}

// maxInFlight bounds the requests of one stream waiting for an answer.
const maxInFlight = 512

// run sends requests at the stream's rate: every few milliseconds it sends
// those due since the rate was set, so that a late wake-up (a busy
// machine) is made up for and the rate holds on average.
func (s *callStream) run() {
	rps := s.call.RPS
	inFlight := make(chan struct{}, maxInFlight)
	since, sent := time.Now(), 0
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.quit:
			return
		case rps = <-s.rate:
			since, sent = time.Now(), 0
		case now := <-tick.C:
			due := int(rps*now.Sub(since).Seconds()) - sent
			for ; due > 0; due-- {
				sent++
				select {
				case inFlight <- struct{}{}:
				default:
					continue // too many waiting: the caller is saturated
				}
				s.wg.Add(1)
				go func() {
					defer s.wg.Done()
					defer func() { <-inFlight }()
					s.once1()
				}()
			}
		}
	}
}

// once1 sends one request and reports it as the caller's sidecar would
// (reporter="source").
func (s *callStream) once1() {
	o := s.caller.opts
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx,
		mdSourceWorkload, o.Workload, mdSourceNamespace, o.Namespace,
		mdSourceCluster, o.Istiod.ClusterID, mdSourceApp, o.App)
	pod := &podAddr{}
	ctx = context.WithValue(ctx, podAddrKey{}, pod)
	start := time.Now()
	err := s.conn.Invoke(ctx, echoMethod, wrapperspb.String(o.Workload), &wrapperspb.StringValue{})
	d := time.Since(start)
	code, grpcCode, flags := sourceOutcome(err)
	var dest peerInfo
	if addr := pod.get(); addr != nil {
		if host, _, e := net.SplitHostPort(addr.String()); e == nil {
			dest = s.caller.mesh.podAt(host)
		}
	}
	m := s.caller.mesh
	src := peerInfo{Workload: o.Workload, Namespace: o.Namespace, App: o.App, Cluster: o.Istiod.ClusterID}
	m.metrics.observe(observation{
		reporter: "source", source: src, dest: dest, host: s.call.Host,
		code: code, grpcCode: grpcCode, flags: flags, duration: d,
	})
	m.answers.add(Answer{Caller: o.Namespace + "/" + o.Workload, Host: s.call.Host, Cluster: dest.Cluster,
		Namespace: dest.Namespace, Workload: dest.Workload, Version: dest.Version, Code: code}, start)
}

func (s *callStream) stop() {
	s.once.Do(func() { close(s.quit) })
	s.wg.Wait()
}

// answeredBy is a client stats handler that notes, for a call whose
// context holds a podAddr, the address of the connection the request went
// out on: the pod's (see dialPod). gRPC reports a call's peer only when an
// answer came through gRPC; this also names the pod of a failed answer.
type answeredBy struct{}

type podAddrKey struct{}

type podAddr struct {
	mu   sync.Mutex
	addr net.Addr
}

func (p *podAddr) get() net.Addr {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addr
}

func (answeredBy) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }

func (answeredBy) HandleRPC(ctx context.Context, s stats.RPCStats) {
	h, ok := s.(*stats.OutHeader)
	if !ok || !h.Client {
		return
	}
	if p, ok := ctx.Value(podAddrKey{}).(*podAddr); ok {
		p.mu.Lock()
		p.addr = h.RemoteAddr
		p.mu.Unlock()
	}
}

func (answeredBy) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

func (answeredBy) HandleConn(context.Context, stats.ConnStats) {}
