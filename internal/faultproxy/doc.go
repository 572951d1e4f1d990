// Package faultproxy is an HTTP proxy that breaks some of the requests it
// passes on, the way a registry, an API server or Prometheus under stress
// does: bursts of 503, 429 with Retry-After, connections reset, answers cut
// off half-way, and stalls (a request that gets no answer at all). A seeded
// Plan decides which request gets which fault, so that a failing run can be
// repeated; the proxy counts what it injected.
//
// It speaks HTTP/1.1 on both sides, plain or TLS: to put it in front of a
// Kubernetes API server, serve TLS with a certificate of its own (NewTLS)
// and give the steps a kubeconfig that trusts it. It is for tests only.
package faultproxy
