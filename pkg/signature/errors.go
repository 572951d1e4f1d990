package signature

import (
	"errors"
	"fmt"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// Reason says why verification refused an artifact.
type Reason int

// The reasons, from the least to the most specific. When several signatures
// of one artifact fail for different reasons, the most specific is reported.
const (
	// ReasonUnknown is a failure nobody classified.
	ReasonUnknown Reason = iota
	// Unsigned: no signature was found at all.
	Unsigned
	// UnknownKey: signatures exist, but none verifies with a trusted key or
	// chains to a trusted certificate authority.
	UnknownKey
	// NoTlogProof: a signature verifies, but transparency-log proof was
	// required and it has none (or none that the trusted root accepts).
	NoTlogProof
	// IdentityMismatch: signed by a trusted authority, but for another
	// certificate identity.
	IdentityMismatch
	// IssuerMismatch: the certificate identity matches, the OIDC issuer does not.
	IssuerMismatch
	// WrongDigestClaim: a valid signature that names another digest.
	WrongDigestClaim
	// MissingAttestation: no verified attestation of a required predicate type.
	MissingAttestation
	// TagNotDigest: the artifact is referenced by tag, not by digest.
	TagNotDigest
	// RegistryNotAllowed: the image lives in a registry the policy does not allow.
	RegistryNotAllowed
	// NotFound: the artifact is not in its registry.
	NotFound
)

var reasonNames = map[Reason]string{
	ReasonUnknown:      "unknown",
	Unsigned:           "unsigned",
	UnknownKey:         "unknown-key",
	NoTlogProof:        "no-tlog-proof",
	IdentityMismatch:   "identity-mismatch",
	IssuerMismatch:     "issuer-mismatch",
	WrongDigestClaim:   "wrong-digest-claim",
	MissingAttestation: "missing-attestation",
	TagNotDigest:       "tag-not-digest",
	RegistryNotAllowed: "registry-not-allowed",
	NotFound:           "not-found",
}

// String is the reason's stable kebab-case name, as written in reports.
func (r Reason) String() string {
	if s, ok := reasonNames[r]; ok {
		return s
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// MarshalText writes the reason's name.
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a reason's name.
func (r *Reason) UnmarshalText(b []byte) error {
	for k, v := range reasonNames {
		if v == string(b) {
			*r = k
			return nil
		}
	}
	return fmt.Errorf("unknown reason %q", b)
}

// VerificationError is a refusal: the artifact was looked at and is not
// acceptable. It is always returned wrapped as outcome.Negative.
type VerificationError struct {
	Reason Reason
	// Subject is the artifact reference the verdict is about.
	Subject string
	// Detail says what was found, in plain words.
	Detail string
}

func (e *VerificationError) Error() string {
	if e.Subject == "" {
		return e.Detail
	}
	return e.Subject + ": " + e.Detail
}

// refuse builds a negative outcome carrying a *VerificationError.
func refuse(reason Reason, subject, format string, args ...any) error {
	return outcome.Negative(&VerificationError{Reason: reason, Subject: subject, Detail: fmt.Sprintf(format, args...)})
}

// ReasonOf returns the Reason of the *VerificationError in err's chain, or
// ReasonUnknown when err is not a refusal.
func ReasonOf(err error) Reason {
	var ve *VerificationError
	if errors.As(err, &ve) {
		return ve.Reason
	}
	return ReasonUnknown
}

// AsVerificationError returns the *VerificationError in err's chain.
func AsVerificationError(err error) (*VerificationError, bool) {
	var ve *VerificationError
	ok := errors.As(err, &ve)
	return ve, ok
}
