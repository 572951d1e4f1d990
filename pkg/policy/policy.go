package policy

import "strings"

// Identity of the policy document.
const (
	APIVersion = "aviary.dev/v1"
	Kind       = "VerificationPolicy"
)

// AllAttestations in Exception.SkipAttestations skips every required
// attestation.
const AllAttestations = "*"

// Policy is a verification policy. The zero value is not valid; use Default
// or Parse.
type Policy struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Plan       PlanRules   `json:"plan,omitzero"`
	Images     ImageRules  `json:"images,omitzero"`
	Exceptions []Exception `json:"exceptions,omitempty"`
}

// PlanRules are the requirements on the release plan itself.
type PlanRules struct {
	// RequireSignature: the plan must carry a trusted signature. Default true.
	RequireSignature *bool `json:"requireSignature,omitempty"`
}

// ImageRules are the requirements on every service's image.
type ImageRules struct {
	// RequireSignature: every image must carry a trusted signature.
	// Default true.
	RequireSignature *bool `json:"requireSignature,omitempty"`
	// AllowedRegistries are repository prefixes (registry host, optionally
	// with a path) an image must start with, at a path boundary:
	// registry.example.com/team allows registry.example.com/team/api but not
	// registry.example.com/teamx/api. Empty allows every registry.
	AllowedRegistries []string `json:"allowedRegistries,omitempty"`
	// RequiredAttestations are in-toto predicate types each image needs a
	// trusted attestation of.
	RequiredAttestations []string `json:"requiredAttestations,omitempty"`
}

// Exception relaxes the image rules for one service.
type Exception struct {
	Service string `json:"service"`
	// AllowUnsigned lets the image go without a signature.
	AllowUnsigned bool `json:"allowUnsigned,omitempty"`
	// AllowAnyRegistry lets the image come from any registry.
	AllowAnyRegistry bool `json:"allowAnyRegistry,omitempty"`
	// SkipAttestations are required predicate types this service need not
	// have; "*" skips them all.
	SkipAttestations []string `json:"skipAttestations,omitempty"`
	// Reason says why, for the report. Required.
	Reason string `json:"reason"`
}

// Default is the policy used without a policy file: the plan and every
// image must be signed; any registry; no attestations.
func Default() *Policy {
	return &Policy{APIVersion: APIVersion, Kind: Kind}
}

// PlanSignatureRequired reports whether the plan must be signed.
func (p *Policy) PlanSignatureRequired() bool { return boolOr(p.Plan.RequireSignature, true) }

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// Requirements are what one service's image must satisfy.
type Requirements struct {
	// Signature: a trusted signature is required.
	Signature bool
	// AllowedRegistries the image must come from; empty allows any.
	AllowedRegistries []string
	// Attestations are the predicate types required.
	Attestations []string
	// Exception is the exception applied, if any.
	Exception *Exception
}

// For returns the requirements on the image of the service called name.
func (p *Policy) For(service string) Requirements {
	r := Requirements{
		Signature:         boolOr(p.Images.RequireSignature, true),
		AllowedRegistries: p.Images.AllowedRegistries,
		Attestations:      p.Images.RequiredAttestations,
	}
	for i := range p.Exceptions {
		e := &p.Exceptions[i]
		if e.Service != service {
			continue
		}
		r.Exception = e
		if e.AllowUnsigned {
			r.Signature = false
		}
		if e.AllowAnyRegistry {
			r.AllowedRegistries = nil
		}
		r.Attestations = without(r.Attestations, e.SkipAttestations)
	}
	return r
}

func without(list, skip []string) []string {
	var out []string
	for _, s := range list {
		keep := true
		for _, k := range skip {
			if k == AllAttestations || k == s {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, s)
		}
	}
	return out
}

// RegistryAllowed reports whether repository (registry/path, without tag or
// digest) starts with one of prefixes at a path boundary. An empty list
// allows everything. Docker Hub is spelled docker.io on both sides.
func RegistryAllowed(prefixes []string, repository string) bool {
	if len(prefixes) == 0 {
		return true
	}
	repo := normalize(repository)
	for _, p := range prefixes {
		p = strings.TrimSuffix(normalize(p), "/")
		if p == "" {
			continue
		}
		if repo == p || strings.HasPrefix(repo, p+"/") {
			return true
		}
	}
	return false
}

func normalize(s string) string {
	s = strings.ToLower(s)
	for _, hub := range []string{"index.docker.io", "registry-1.docker.io"} {
		if s == hub || strings.HasPrefix(s, hub+"/") {
			return "docker.io" + s[len(hub):]
		}
	}
	return s
}

// UnusedExceptions returns the exceptions naming services not in services,
// which are most likely typos.
func (p *Policy) UnusedExceptions(services []string) []string {
	known := map[string]bool{}
	for _, s := range services {
		known[s] = true
	}
	var out []string
	for _, e := range p.Exceptions {
		if !known[e.Service] {
			out = append(out, e.Service)
		}
	}
	return out
}
