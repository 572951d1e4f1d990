package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

func TestRegistryAllowed(t *testing.T) {
	tests := []struct {
		name     string
		prefixes []string
		repo     string
		want     bool
	}{
		{"no list allows all", nil, "evil.example/x", true},
		{"host prefix", []string{"ghcr.io"}, "ghcr.io/org/api", true},
		{"path prefix", []string{"registry.example.com/team"}, "registry.example.com/team/api", true},
		{"exact repository", []string{"registry.example.com/team/api"}, "registry.example.com/team/api", true},
		{"trailing slash", []string{"registry.example.com/team/"}, "registry.example.com/team/api", true},
		{"not at a path boundary", []string{"registry.example.com/team"}, "registry.example.com/teamx/api", false},
		{"host lookalike", []string{"ghcr.io"}, "ghcr.io.evil.example/org/api", false},
		{"other registry", []string{"ghcr.io/org"}, "docker.io/org/api", false},
		{"port is part of the host", []string{"127.0.0.1:5000"}, "127.0.0.1:5001/api", false},
		{"port matches", []string{"127.0.0.1:5000"}, "127.0.0.1:5000/api", true},
		{"docker hub spellings", []string{"docker.io/library"}, "index.docker.io/library/nginx", true},
		{"case-insensitive", []string{"GHCR.io/Org"}, "ghcr.io/org/api", true},
		{"second entry", []string{"a.example", "b.example/team"}, "b.example/team/api", true},
		{"empty entry ignored", []string{""}, "a.example/x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RegistryAllowed(tt.prefixes, tt.repo); got != tt.want {
				t.Errorf("RegistryAllowed(%q, %q) = %v, want %v", tt.prefixes, tt.repo, got, tt.want)
			}
		})
	}
}

func ptr(b bool) *bool { return &b }

func TestFor(t *testing.T) {
	slsa := "https://slsa.dev/provenance/v1"
	sbom := "https://spdx.dev/Document"
	base := Policy{
		APIVersion: APIVersion, Kind: Kind,
		Images: ImageRules{AllowedRegistries: []string{"r.example/team"}, RequiredAttestations: []string{slsa, sbom}},
	}
	withExc := func(p Policy, e ...Exception) *Policy { p.Exceptions = e; return &p }
	tests := []struct {
		name    string
		policy  *Policy
		service string
		want    Requirements
	}{
		{"default policy", Default(), "api", Requirements{Signature: true}},
		{"images rules", &base, "api", Requirements{Signature: true, AllowedRegistries: []string{"r.example/team"}, Attestations: []string{slsa, sbom}}},
		{"signature off", &Policy{Images: ImageRules{RequireSignature: ptr(false)}}, "api", Requirements{}},
		{"exception for another service", withExc(base, Exception{Service: "worker", AllowUnsigned: true, Reason: "x"}), "api",
			Requirements{Signature: true, AllowedRegistries: []string{"r.example/team"}, Attestations: []string{slsa, sbom}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.policy.For(tt.service)); diff != "" {
				t.Errorf("For(%q) mismatch (-want +got):\n%s", tt.service, diff)
			}
		})
	}

	excTests := []struct {
		name string
		exc  Exception
		want Requirements
	}{
		{"unsigned", Exception{Service: "api", AllowUnsigned: true, Reason: "x"},
			Requirements{AllowedRegistries: []string{"r.example/team"}, Attestations: []string{slsa, sbom}}},
		{"any registry", Exception{Service: "api", AllowAnyRegistry: true, Reason: "x"},
			Requirements{Signature: true, Attestations: []string{slsa, sbom}}},
		{"skip one attestation", Exception{Service: "api", SkipAttestations: []string{sbom}, Reason: "x"},
			Requirements{Signature: true, AllowedRegistries: []string{"r.example/team"}, Attestations: []string{slsa}}},
		{"skip all attestations", Exception{Service: "api", SkipAttestations: []string{AllAttestations}, Reason: "x"},
			Requirements{Signature: true, AllowedRegistries: []string{"r.example/team"}}},
	}
	for _, tt := range excTests {
		t.Run("exception "+tt.name, func(t *testing.T) {
			p := withExc(base, tt.exc)
			got := p.For("api")
			if got.Exception == nil || got.Exception.Service != "api" {
				t.Fatalf("For(api).Exception = %v, want the api exception", got.Exception)
			}
			got.Exception = nil
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("For(api) mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanSignatureRequired(t *testing.T) {
	if !Default().PlanSignatureRequired() {
		t.Error("Default().PlanSignatureRequired() = false, want true")
	}
	p := &Policy{Plan: PlanRules{RequireSignature: ptr(false)}}
	if p.PlanSignatureRequired() {
		t.Error("PlanSignatureRequired() with requireSignature: false = true, want false")
	}
}

func TestUnusedExceptions(t *testing.T) {
	p := &Policy{Exceptions: []Exception{{Service: "api"}, {Service: "wroker"}}}
	if diff := cmp.Diff([]string{"wroker"}, p.UnusedExceptions([]string{"api", "worker"})); diff != "" {
		t.Errorf("UnusedExceptions mismatch (-want +got):\n%s", diff)
	}
}

const good = `apiVersion: aviary.dev/v1
kind: VerificationPolicy
plan:
  requireSignature: true
images:
  requireSignature: true
  allowedRegistries:
    - registry.example.com/team
    - 127.0.0.1:5000
  requiredAttestations:
    - https://slsa.dev/provenance/v1
exceptions:
  - service: legacy-worker
    allowUnsigned: true
    skipAttestations: ["*"]
    reason: vendor image
`

func TestParse(t *testing.T) {
	p, err := Parse("policy.yaml", []byte(good))
	if err != nil {
		t.Fatalf("Parse(good) error: %v", err)
	}
	want := &Policy{
		APIVersion: APIVersion, Kind: Kind,
		Plan: PlanRules{RequireSignature: ptr(true)},
		Images: ImageRules{
			RequireSignature:     ptr(true),
			AllowedRegistries:    []string{"registry.example.com/team", "127.0.0.1:5000"},
			RequiredAttestations: []string{"https://slsa.dev/provenance/v1"},
		},
		Exceptions: []Exception{{Service: "legacy-worker", AllowUnsigned: true, SkipAttestations: []string{"*"}, Reason: "vendor image"}},
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("Parse(good) mismatch (-want +got):\n%s", diff)
	}
}

func TestParseProblems(t *testing.T) {
	head := "apiVersion: aviary.dev/v1\nkind: VerificationPolicy\n"
	tests := []struct {
		name string
		data string
		want []string // substrings of the error, in order
	}{
		{"empty", "", []string{"file is empty"}},
		{"unknown field", head + "images:\n  requireSignatures: true\n", []string{"line 4", "requireSignatures"}},
		{"unknown fields, all of them, beside invalid values", head + "images:\n  requiresignature: true\n  allowedRegistries: [https://x.example]\nexceptionz: []\n", []string{
			"3 problems",
			`line 4: images.requiresignature: unknown field "requiresignature" (did you mean "requireSignature"?)`,
			"line 5: images.allowedRegistries[0]",
			`line 6: exceptionz: unknown field "exceptionz"`,
		}},
		{"wrong type", head + "plan:\n  requireSignature: maybe\n", []string{"line 4"}},
		{"duplicate key", head + "plan: {}\nplan: {}\n", []string{"line 4", "already defined"}},
		{"wrong kind", "apiVersion: aviary.dev/v1\nkind: Policy\n", []string{"line 2: kind", `must be "VerificationPolicy"`}},
		{"missing apiVersion", "kind: VerificationPolicy\n", []string{"apiVersion: must be"}},
		{"scheme in registry", head + "images:\n  allowedRegistries: [https://ghcr.io]\n", []string{"line 4: images.allowedRegistries[0]", "without a scheme"}},
		{"tag in registry", head + "images:\n  allowedRegistries:\n    - ok.example\n    - ghcr.io/org:latest\n", []string{"line 6: images.allowedRegistries[1]", "without tag"}},
		{"bad predicate type", head + "images:\n  requiredAttestations: [slsa]\n", []string{"images.requiredAttestations[0]", "not a predicate type URI"}},
		{"exception without reason", head + "exceptions:\n  - service: api\n    allowUnsigned: true\n", []string{"line 4: exceptions[0].reason: is required"}},
		{"exception relaxing nothing", head + "exceptions:\n  - service: api\n    reason: x\n", []string{"exceptions[0]: relaxes nothing"}},
		{"skip unknown attestation", head + "exceptions:\n  - service: api\n    reason: x\n    skipAttestations: [https://x.example/v1]\n", []string{"exceptions[0].skipAttestations[0]", "not in images.requiredAttestations"}},
		{"two problems", head + "exceptions:\n  - service: api\n    allowUnsigned: true\n  - service: api\n    allowUnsigned: true\n    reason: y\n", []string{"2 problems", "reason: is required", "has another exception"}},
		{"two documents", head + "---\n" + head, []string{"2 YAML documents"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("policy.yaml", []byte(tt.data))
			if err == nil {
				t.Fatalf("Parse(%q) = nil error, want one", tt.data)
			}
			if outcome.KindOf(err) != outcome.KindInvalid {
				t.Errorf("KindOf(Parse error) = %v, want invalid", outcome.KindOf(err))
			}
			var ps *Problems
			if !errors.As(err, &ps) {
				t.Errorf("Parse error is not a *Problems: %v", err)
			}
			msg := err.Error()
			at := 0
			for _, w := range tt.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("Parse error = %q, want it to contain %q (after position %d)", msg, w, at)
				}
				at += i
			}
		})
	}
}
