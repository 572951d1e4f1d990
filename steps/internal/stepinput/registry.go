package stepinput

import (
	"path/filepath"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/registry"
	"github.com/aviary-cd/aviary/pkg/stall"
)

// Inputs is the part of a step session the shared inputs are read from;
// *step.Session has it.
type Inputs interface {
	Durations
	String(name string) string
	Bool(name string) bool
	Getenv(key string) string
}

// Registry reads the registry inputs (registry-username, registry-password,
// registry-host, insecure-registry, request-timeout, DOCKER_CONFIG) into the options every
// step reaches registries with. ref is the reference the step works on (a
// plan, or the repository bundle-plan pushes to): registry-username and
// registry-password belong to registry-host, else to ref's registry host,
// and to no other host. A plan in an OCI layout has no host, so explicit
// credentials then need registry-host. conns, when positive, is how many
// connections per host to keep alive.
func Registry(in Inputs, ref string, conns int) (registry.Options, error) {
	t, err := ReadTimeouts(in)
	if err != nil {
		return registry.Options{}, err
	}
	opts := registry.Options{
		Username:       in.String("registry-username"),
		Password:       in.String("registry-password"),
		CredentialHost: in.String("registry-host"),
		Insecure:       in.Bool("insecure-registry"),
		RequestTimeout: t.Request,
	}
	if dc := in.Getenv("DOCKER_CONFIG"); dc != "" {
		opts.DockerConfig = filepath.Join(dc, "config.json")
	}
	if opts.CredentialHost == "" && opts.Username != "" {
		r, err := registry.ParseReference(ref)
		if err != nil {
			return opts, err
		}
		if r.IsLayout() {
			return opts, outcome.Invalidf("registry-username is set but %s is an OCI layout, not a registry: set registry-host to the registry the credentials are for", ref)
		}
		opts.CredentialHost = r.Registry
	}
	if conns > 0 {
		// Keep a connection per concurrent request alive: the default two
		// idle connections per host would make most requests dial anew.
		tr := stall.Transport(t.Request)
		tr.MaxIdleConnsPerHost = conns
		opts.Transport = tr
	}
	return opts, opts.Validate()
}
