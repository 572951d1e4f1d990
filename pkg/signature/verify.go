package signature

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/aviary-cd/aviary/pkg/registry"
)

// Verifier checks artifacts in registries against trust material. It is
// safe for concurrent use.
type Verifier struct {
	trust   *Trust
	client  *registry.Client
	sources *sources
}

// NewVerifier returns a verifier reading registries through client.
func NewVerifier(trust *Trust, client *registry.Client) *Verifier {
	return &Verifier{trust: trust, client: client, sources: newSources(client)}
}

// Request says what to check of one artifact.
type Request struct {
	// Ref is the artifact by digest: registry/repo@sha256:...
	Ref string
	// Signature requires a trusted signature.
	Signature bool
	// Attestations are predicate types that each need a trusted attestation.
	Attestations []string
}

// Result is what verification found for one artifact.
type Result struct {
	Ref    string `json:"ref"`
	Digest string `json:"digest,omitempty"`
	// Signer made the signature that verified; nil when none was required
	// or none verified.
	Signer *Signer `json:"signer,omitempty"`
	// Attestations that verified, by predicate type.
	Attestations []Attestation `json:"attestations,omitempty"`
	// Failures are the refusals; the artifact passed when there are none.
	Failures []*VerificationError `json:"-"`
}

// Attestation is a verified attestation.
type Attestation struct {
	PredicateType string `json:"predicateType"`
	Signer        Signer `json:"signer"`
}

// OK reports whether the artifact passed every check.
func (r Result) OK() bool { return len(r.Failures) == 0 }

func (r *Result) fail(err error) {
	if ve, ok := AsVerificationError(err); ok {
		r.Failures = append(r.Failures, ve)
		return
	}
	r.Failures = append(r.Failures, &VerificationError{Subject: r.Ref, Detail: err.Error()})
}

// Verify checks one artifact. Refusals are in Result.Failures; the error is
// for registries that failed after retries (outcome.External) and for
// cancellation.
func (v *Verifier) Verify(ctx context.Context, req Request) (Result, error) {
	res := Result{Ref: req.Ref}
	ref, err := registry.ParseReference(req.Ref)
	if err != nil {
		res.fail(refuse(TagNotDigest, req.Ref, "not a valid reference: %v", err))
		return res, nil
	}
	if ref.Digest == "" {
		res.fail(refuse(TagNotDigest, req.Ref, "referenced by tag, not by digest: a tag can be moved to other content"))
		return res, nil
	}
	if err := ref.Digest.Validate(); err != nil {
		res.fail(refuse(TagNotDigest, req.Ref, "invalid digest: %v", err))
		return res, nil
	}
	res.Digest = ref.Digest.String()
	src, err := v.sources.get(ctx, ref)
	if err != nil {
		return res, v.client.Classify(err, host(ref))
	}
	desc, err := src.Resolve(ctx, ref.Digest.String())
	if registry.IsNotFound(err) {
		res.fail(refuse(NotFound, req.Ref, "not found in %s", ref.Repo()))
		return res, nil
	}
	if err != nil {
		return res, v.client.Classify(fmt.Errorf("looking up %s: %w", req.Ref, err), host(ref))
	}
	if desc.Digest != ref.Digest {
		return res, v.client.Classify(fmt.Errorf("looking up %s: the registry answered with digest %s", req.Ref, desc.Digest), host(ref))
	}
	if !req.Signature && len(req.Attestations) == 0 {
		return res, nil
	}
	if err := v.check(ctx, src, ref.Repo(), desc, req, &res); err != nil {
		return res, v.client.Classify(fmt.Errorf("reading signatures of %s: %w", req.Ref, err), host(ref))
	}
	return res, nil
}

// check gathers candidates lazily: cosign v2 tags first, then bundle
// referrers only when still needed.
func (v *Verifier) check(ctx context.Context, src source, repo string, desc ocispec.Descriptor, req Request, res *Result) error {
	d := desc.Digest
	var sigs, atts found
	var refs found
	refsRead := false
	readRefs := func() error {
		if refsRead {
			return nil
		}
		refsRead = true
		want := append([]string{}, req.Attestations...)
		if req.Signature {
			want = append(want, CosignSignPredicateType)
		}
		return bundleCandidates(ctx, src, desc, want, &refs)
	}

	if req.Signature {
		if err := cosignCandidates(ctx, src, repo, d, "sig", &sigs); err != nil {
			return err
		}
		signer, refusals := v.first(sigs.candidates, req.Ref, d, "")
		if signer == nil {
			if err := readRefs(); err != nil {
				return err
			}
			var more []error
			signer, more = v.first(refs.candidates, req.Ref, d, CosignSignPredicateType)
			refusals = append(refusals, more...)
		}
		if signer != nil {
			res.Signer = signer
		} else {
			res.fail(worst(req.Ref, refusals, append(sigs.malformed, refs.malformed...), d))
		}
	}

	if len(req.Attestations) > 0 {
		if err := cosignCandidates(ctx, src, repo, d, "att", &atts); err != nil {
			return err
		}
		if err := readRefs(); err != nil {
			return err
		}
		all := append(append([]candidate{}, atts.candidates...), refs.candidates...)
		for _, pt := range req.Attestations {
			signer, refusals := v.first(all, req.Ref, d, pt)
			if signer != nil {
				res.Attestations = append(res.Attestations, Attestation{PredicateType: pt, Signer: *signer})
				continue
			}
			detail := "no attestation of predicate type " + pt
			if len(refusals) > 0 {
				detail += " verifies: " + bestRefusal(refusals).Detail
			} else {
				detail += " was found"
			}
			res.fail(refuse(MissingAttestation, req.Ref, "%s", detail))
		}
	}
	return nil
}

// first returns the signer of the first candidate that verifies for
// predicateType, or the refusals of those that did not.
func (v *Verifier) first(cands []candidate, subject string, d digest.Digest, predicateType string) (*Signer, []error) {
	var refusals []error
	for i, c := range cands {
		if i == maxCandidates {
			break
		}
		signer, err := v.trust.check(c, subject, d, predicateType)
		if errors.Is(err, errNotThisKind) {
			continue
		}
		if err != nil {
			refusals = append(refusals, err)
			continue
		}
		return &signer, nil
	}
	return nil, refusals
}

// bestRefusal picks the most specific refusal.
func bestRefusal(refusals []error) *VerificationError {
	var best *VerificationError
	for _, err := range refusals {
		ve, ok := AsVerificationError(err)
		if !ok {
			ve = &VerificationError{Detail: err.Error()}
		}
		if best == nil || ve.Reason > best.Reason {
			best = ve
		}
	}
	return best
}

// worst turns the refusals of every signature of an artifact into the one
// failure reported for it.
func worst(subject string, refusals []error, malformed []string, d digest.Digest) error {
	if len(refusals) == 0 {
		detail := fmt.Sprintf("not signed: no cosign signature found (tag %s or Sigstore bundle referrers)", cosignTag(d, "sig"))
		if len(malformed) > 0 {
			detail = "not signed: only unreadable signatures found: " + strings.Join(malformed, "; ")
		}
		return refuse(Unsigned, subject, "%s", detail)
	}
	best := bestRefusal(refusals)
	detail := best.Detail
	if n := len(refusals) - 1; n > 0 {
		detail += fmt.Sprintf(" (and %d other signature(s) failed)", n)
	}
	return refuse(best.Reason, subject, "%s", detail)
}
