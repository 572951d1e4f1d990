package xdsprobe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/anypb"
)

// Type URLs of the resources the probe asks for.
const (
	RouteType    = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
	EndpointType = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
)

// Options says where istiod is and who the probe is. GRPCAddr and Node
// are required.
type Options struct {
	// GRPCAddr is istiod's plain-text xDS address (--grpcAddr).
	GRPCAddr string
	// DebugAddr is istiod's HTTP address (--httpAddr); when set, a Wait
	// that times out reports istiod's view of the configuration too.
	DebugAddr string
	Node      Node
	// Timeout bounds each Wait (default 30 s; the context may end it
	// sooner) and RequestTimeout each request (default 10 s).
	Timeout, RequestTimeout time.Duration
	// Interval is how long a Wait pauses between requests (default 200 ms).
	Interval time.Duration
}

// Probe asks istiod for resources as one proxy.
type Probe struct {
	opts Options
	node *corev3.Node
	conn *grpc.ClientConn
	ads  discoveryv3.AggregatedDiscoveryServiceClient
	http *http.Client
}

// New returns a probe for opts. The connection is made on first use;
// Close releases it.
func New(ctx context.Context, opts Options) (*Probe, error) {
	if opts.GRPCAddr == "" {
		return nil, errors.New("creating an xDS probe: no istiod address")
	}
	if err := opts.Node.validate(); err != nil {
		return nil, fmt.Errorf("creating an xDS probe: %w", err)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 10 * time.Second
	}
	if opts.Interval <= 0 {
		opts.Interval = 200 * time.Millisecond
	}
	node, err := opts.Node.proto()
	if err != nil {
		return nil, fmt.Errorf("creating an xDS probe: %w", err)
	}
	conn, err := grpc.NewClient(opts.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		return nil, fmt.Errorf("connecting to istiod at %s: %w", opts.GRPCAddr, err)
	}
	return &Probe{
		opts: opts,
		node: node,
		conn: conn,
		ads:  discoveryv3.NewAggregatedDiscoveryServiceClient(conn),
		http: &http.Client{Timeout: opts.RequestTimeout},
	}, nil
}

// Node returns the node the probe introduces itself as.
func (p *Probe) Node() Node { return p.opts.Node.withDefaults() }

// Close closes the connection to istiod.
func (p *Probe) Close() error { return p.conn.Close() }

// fetch opens an ADS stream, asks for names of typeURL and returns the
// resources of istiod's first answer of that type.
func (p *Probe) fetch(ctx context.Context, typeURL string, names []string) ([]*anypb.Any, error) {
	ctx, cancel := context.WithTimeout(ctx, p.opts.RequestTimeout)
	defer cancel()
	stream, err := p.ads.StreamAggregatedResources(ctx)
	if err != nil {
		return nil, fmt.Errorf("opening an ADS stream to %s: %w", p.opts.GRPCAddr, err)
	}
	defer func() { _ = stream.CloseSend() }()
	req := &discoveryv3.DiscoveryRequest{Node: p.node, TypeUrl: typeURL, ResourceNames: names}
	if err := stream.Send(req); err != nil {
		return nil, fmt.Errorf("asking istiod for %s %v: %w", shortType(typeURL), names, err)
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			return nil, fmt.Errorf("receiving %s %v from istiod: %w", shortType(typeURL), names, err)
		}
		if resp.GetTypeUrl() == typeURL {
			return resp.GetResources(), nil
		}
	}
}

// shortType is the message name of a type URL, for messages.
func shortType(typeURL string) string {
	for i := len(typeURL) - 1; i >= 0; i-- {
		if typeURL[i] == '.' {
			return typeURL[i+1:]
		}
	}
	return typeURL
}
