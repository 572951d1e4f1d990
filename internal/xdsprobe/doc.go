// Package xdsprobe asks a real istiod what an Envoy would receive: it
// speaks ADS (go-control-plane's generated client, plain gRPC) to istiod's
// xDS address as a sidecar in a namespace, or as a gateway router, and turns
// the route configurations (RDS) and cluster load assignments (EDS) istiod
// sends into small Go values a test can compare.
//
// It is a test helper for aviary's real-environment tests: it proves that
// the VirtualServices and DestinationRules aviary writes become the traffic
// split aviary means, which the CRD schema alone cannot show.
//
//	p, err := xdsprobe.New(ctx, xdsprobe.Options{
//		GRPCAddr:  istiod.GRPCAddr,
//		DebugAddr: istiod.HTTPAddr,
//		Node:      xdsprobe.Sidecar("shop", istiod.ClusterID),
//	})
//	defer p.Close()
//	split, err := p.WaitSplit(ctx, "cart.shop.svc.cluster.local", 80, map[string]xdsprobe.Share{
//		"stable": {Weight: 90, IPs: stableIPs},
//		"canary": {Weight: 10, IPs: canaryIPs},
//	})
//
// Every query opens a fresh ADS stream, asks for the named resources and
// takes istiod's first answer, so it sees istiod's current push context.
// istiod applies changes asynchronously (debounced, 100 ms by default); the
// Wait functions ask again until the answer is the one expected or the
// timeout passes, and then report what istiod last said, with what istiod
// holds of the namespaces' configuration (/debug/configz), which
// VirtualServices it ignores for an older one of the same host (Shadowed:
// istiod itself does not say), and the conflicts its last push recorded
// (/debug/push_status). WaitConfig waits until istiod holds a write, for
// assertions whose answer looks the same before and after it.
//
// The package never prints.
package xdsprobe
