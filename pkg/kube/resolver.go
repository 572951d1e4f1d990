package kube

import (
	"context"
	"sync"
)

// Resolver connects to clusters by kubeconfig context, each once: the
// clients of a context are built and probed on first use and shared after.
// The empty context is Options.Context, the step's own.
type Resolver struct {
	// Options name the kubeconfig files; every context is looked up in
	// them.
	Options Options

	mu      sync.Mutex
	entries map[string]*resolved
}

type resolved struct {
	once    sync.Once
	clients *Clients
	err     error
}

// NewResolver returns a Resolver for the kubeconfig opts names.
func NewResolver(opts Options) *Resolver { return &Resolver{Options: opts} }

// Clients returns the clients of kubeContext ("" is the step's own),
// connecting on first use. A context the kubeconfig lacks is an Invalid
// error, an unreachable server an External one.
func (r *Resolver) Clients(ctx context.Context, kubeContext string) (*Clients, error) {
	r.mu.Lock()
	if r.entries == nil {
		r.entries = map[string]*resolved{}
	}
	e, ok := r.entries[kubeContext]
	if !ok {
		e = &resolved{}
		r.entries[kubeContext] = e
	}
	r.mu.Unlock()
	e.once.Do(func() {
		opts := r.Options
		if kubeContext != "" {
			opts.Context = kubeContext
		}
		e.clients, e.err = Connect(ctx, opts)
	})
	return e.clients, e.err
}

// Set makes c the clients of kubeContext, without connecting: for tests,
// and for clients built otherwise.
func (r *Resolver) Set(kubeContext string, c *Clients) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.entries == nil {
		r.entries = map[string]*resolved{}
	}
	e := &resolved{clients: c}
	e.once.Do(func() {})
	r.entries[kubeContext] = e
}
