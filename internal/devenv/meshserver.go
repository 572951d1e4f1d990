package devenv

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Behaviour is how the pods of one version answer.
type Behaviour struct {
	// ErrorRatio is the share of requests, 0 to 1, answered with ErrorCode.
	ErrorRatio float64
	// ErrorCode is the HTTP status of a failed answer (default 503): the
	// pod answers the gRPC request with that status, as a failing upstream
	// behind a sidecar would be reported, and the client sees the gRPC
	// status gRPC derives from it (UNAVAILABLE for 503).
	ErrorCode int
	// Latency is the median time a pod takes to answer; each answer takes
	// between half and one and a half times it.
	Latency time.Duration
}

func (b Behaviour) withDefaults() Behaviour {
	if b.ErrorCode == 0 {
		b.ErrorCode = http.StatusServiceUnavailable
	}
	b.ErrorRatio = min(max(b.ErrorRatio, 0), 1)
	b.Latency = max(b.Latency, 0)
	return b
}

// Metadata keys a mesh client sends with each request: who is calling, as
// Istio's peer metadata exchange tells a destination sidecar.
const (
	mdSourceWorkload  = "x-aviary-source-workload"
	mdSourceNamespace = "x-aviary-source-namespace"
	mdSourceCluster   = "x-aviary-source-cluster"
	mdSourceApp       = "x-aviary-source-app"
)

// echoMethod is the one method every pod serves: it answers with the pod's
// name.
const echoMethod = "/aviary.devenv.Echo/Echo"

var echoService = grpc.ServiceDesc{
	ServiceName: "aviary.devenv.Echo",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Echo",
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			in := &wrapperspb.StringValue{}
			if err := dec(in); err != nil {
				return nil, err
			}
			echo := func(context.Context, any) (any, error) {
				return wrapperspb.String(srv.(*podServer).pod.Name), nil
			}
			if interceptor == nil {
				return echo(ctx, in)
			}
			return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: echoMethod}, echo)
		},
	}},
}

// meshPod is a pod the mesh serves for: who it is in Istio's telemetry.
type meshPod struct {
	Name, IP string
	peerInfo
}

// podServer answers gRPC requests for one kwok pod on a loopback address
// of its own, as that pod's version, and reports each request as the pod's
// sidecar would (reporter="destination").
type podServer struct {
	pod  meshPod
	addr string // the loopback address it listens on
	mesh *Mesh
	grpc *grpc.Server
	http *http.Server
	done chan struct{}
}

func startPodServer(m *Mesh, pod meshPod) (*podServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &podServer{pod: pod, addr: ln.Addr().String(), mesh: m, done: make(chan struct{})}
	s.grpc = grpc.NewServer(grpc.UnaryInterceptor(s.report))
	s.grpc.RegisterService(&echoService, s)
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	s.http = &http.Server{Handler: s, Protocols: &protocols, ReadHeaderTimeout: 10 * time.Second, ErrorLog: discardLog()}
	go func() {
		defer close(s.done)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = ln.Close()
		}
	}()
	return s, nil
}

// ServeHTTP answers as the pod's version behaves now: after its latency,
// a failure as a bare HTTP error status, a success through gRPC.
func (s *podServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	b := s.mesh.behaviour(s.pod.App, s.pod.Version)
	if b.Latency > 0 {
		d := time.Duration(float64(b.Latency) * (0.5 + rand.Float64()))
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		}
	}
	if b.ErrorRatio > 0 && rand.Float64() < b.ErrorRatio {
		w.WriteHeader(b.ErrorCode)
		s.observe(func(k string) string { return r.Header.Get(k) }, r.Host, b.ErrorCode, grpcCodeOfHTTP(b.ErrorCode), time.Since(start))
		return
	}
	ctx := context.WithValue(r.Context(), startKey{}, start)
	s.grpc.ServeHTTP(w, r.WithContext(ctx))
}

type startKey struct{}

// report is the gRPC interceptor that reports a request the pod answered.
func (s *podServer) report(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	resp, err := handler(ctx, req)
	start, ok := ctx.Value(startKey{}).(time.Time)
	if !ok {
		start = time.Now()
	}
	md, _ := metadata.FromIncomingContext(ctx)
	get := func(k string) string {
		if v := md.Get(strings.ToLower(k)); len(v) > 0 {
			return v[0]
		}
		return ""
	}
	s.observe(get, get(":authority"), http.StatusOK, status.Code(err), time.Since(start))
	return resp, err
}

func (s *podServer) observe(header func(string) string, authority string, code int, grpcCode codes.Code, d time.Duration) {
	s.mesh.received.add(Answer{
		Caller: header(mdSourceNamespace) + "/" + header(mdSourceWorkload), Host: hostOnly(authority),
		Cluster: s.pod.Cluster, Namespace: s.pod.Namespace, Workload: s.pod.Workload, Version: s.pod.Version, Code: code,
	}, time.Now().Add(-d))
	s.mesh.metrics.observe(observation{
		reporter: "destination",
		source: peerInfo{
			Workload:  header(mdSourceWorkload),
			Namespace: header(mdSourceNamespace),
			App:       header(mdSourceApp),
			Cluster:   header(mdSourceCluster),
		},
		dest:     s.pod.peerInfo,
		host:     hostOnly(authority),
		code:     code,
		grpcCode: grpcCode,
		duration: d,
	})
}

// stop stops serving at once: the pod is gone.
func (s *podServer) stop() {
	s.grpc.Stop()
	_ = s.http.Close()
	<-s.done
}

// behaviours holds the Behaviour of each version of each app.
type behaviours struct {
	mu sync.RWMutex
	m  map[[2]string]Behaviour
}

func (b *behaviours) set(app, version string, v Behaviour) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[[2]string]Behaviour{}
	}
	b.m[[2]string{app, version}] = v.withDefaults()
}

func (b *behaviours) get(app, version string) Behaviour {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if v, ok := b.m[[2]string{app, version}]; ok {
		return v
	}
	return Behaviour{}.withDefaults()
}
