// Package policy reads the verification policy file and decides, for the
// plan and for each service, what verification requires: signatures,
// registries an image may come from, attestations of given predicate types,
// and per-service exceptions.
//
// A policy file (YAML, read strictly: unknown fields, duplicate keys and
// bad values are errors with their line and path):
//
//	apiVersion: aviary.dev/v1
//	kind: VerificationPolicy
//	plan:
//	  requireSignature: true          # default true
//	images:
//	  requireSignature: true          # default true
//	  allowedRegistries:              # default: any registry
//	    - registry.example.com/team   # prefix at a path boundary
//	  requiredAttestations:           # predicate types; default none
//	    - https://slsa.dev/provenance/v1
//	exceptions:
//	  - service: legacy-worker
//	    allowUnsigned: true
//	    allowAnyRegistry: false
//	    skipAttestations: ["*"]       # or a list of predicate types
//	    reason: vendor image, no provenance yet   # required
//
// The decisions are plain functions of the policy; no I/O but Read.
package policy
