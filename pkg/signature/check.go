package signature

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// Signer says who made a signature that verified.
type Signer struct {
	Format Format `json:"format"`
	// Key names the trusted key, for key signatures.
	Key string `json:"key,omitempty"`
	// Identity and Issuer are the certificate's, for keyless signatures.
	Identity string `json:"identity,omitempty"`
	Issuer   string `json:"issuer,omitempty"`
	// Tlog is true when a transparency-log proof was verified.
	Tlog bool `json:"tlog"`
}

func (s Signer) String() string {
	if s.Key != "" {
		return "key " + s.Key
	}
	if s.Identity != "" {
		return s.Identity + " (" + s.Issuer + ")"
	}
	return "nobody"
}

// errNotThisKind marks a candidate that is fine but not what is looked for
// (an attestation of another predicate type); it is not a failure.
var errNotThisKind = errors.New("not the predicate type looked for")

// check verifies one candidate for artifact want: the signature against the
// trust material, then the claim that it is about want and, for statements,
// that its predicate type is predicateType ("" for a simple-signing
// signature). Refusals are returned as *VerificationError outcomes.
func (t *Trust) check(c candidate, subject string, want digest.Digest, predicateType string) (Signer, error) {
	var st statement
	if c.envelope != nil {
		var err error
		if st, err = parseStatement(c.envelope); err != nil {
			return Signer{}, refuse(Unsigned, subject, "%s is unreadable: %v", c.where, err)
		}
		if predicateType != "" && st.PredicateType != predicateType {
			return Signer{}, errNotThisKind
		}
	} else if predicateType != "" && predicateType != CosignSignPredicateType {
		return Signer{}, errNotThisKind
	}

	vc, err := c.entity.VerificationContent()
	if err != nil {
		return Signer{}, refuse(Unsigned, subject, "%s is unreadable: %v", c.where, err)
	}
	var signer Signer
	if vc.Certificate() != nil {
		signer, err = t.checkCertificate(c, subject)
		if err != nil && len(t.keys) > 0 {
			// cosign --key accepts a signature whose certificate is for a
			// trusted key, whatever the certificate says; so do we.
			keySigner, keyErr := t.checkKey(c.asKey(), subject)
			switch {
			case keyErr == nil:
				signer, err = keySigner, nil
			case len(t.identities) == 0:
				err = keyErr
			}
		}
	} else {
		signer, err = t.checkKey(c, subject)
	}
	if err != nil {
		return Signer{}, err
	}
	signer.Format = c.format

	// The signature is good; now the claim must be about this digest.
	switch {
	case c.payload != nil:
		var ss simpleSigning
		if err := json.Unmarshal(c.payload, &ss); err != nil {
			return Signer{}, refuse(WrongDigestClaim, subject, "%s: the signed payload is not a simple-signing claim: %v", c.where, err)
		}
		if ss.Critical.Image.Digest != want.String() {
			return Signer{}, refuse(WrongDigestClaim, subject, "%s is a valid signature by %s, but for digest %s, not this one",
				c.where, signer, orNone(ss.Critical.Image.Digest))
		}
	case c.message != nil:
		if want.Algorithm() != digest.SHA256 || hex.EncodeToString(c.message) != want.Encoded() {
			return Signer{}, refuse(WrongDigestClaim, subject, "%s is a valid signature by %s, but for digest sha256:%x, not this one",
				c.where, signer, c.message)
		}
	default:
		if !st.names(want.Algorithm().String(), want.Encoded()) {
			return Signer{}, refuse(WrongDigestClaim, subject, "%s is a valid signature by %s, but its statement is about %s, not this digest",
				c.where, signer, st.subjectDigests())
		}
	}
	return signer, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// artifact is how sigstore-go checks the signed content: a simple-signing
// payload is the artifact itself; a message signature is checked against
// the digest it carries (compared with the wanted one afterwards); a DSSE
// envelope's subjects are compared afterwards.
func (c candidate) artifact() verify.ArtifactPolicyOption {
	switch {
	case c.payload != nil:
		return verify.WithArtifact(bytes.NewReader(c.payload))
	case c.message != nil:
		return verify.WithArtifactDigest("sha256", c.message)
	default:
		return verify.WithoutArtifactUnsafe()
	}
}

func (t *Trust) checkKey(c candidate, subject string) (Signer, error) {
	if len(t.keys) == 0 {
		return Signer{}, refuse(UnknownKey, subject, "%s is signed with a key, but only keyless identities are trusted", c.where)
	}
	for _, k := range t.keys {
		v, err := verify.NewVerifier(k.material, verify.WithNoObserverTimestamps(), verify.WithoutStatementPredicate())
		if err != nil {
			return Signer{}, fmt.Errorf("setting up verification: %w", err)
		}
		if _, err := v.Verify(c.entity, verify.NewPolicy(c.artifact(), verify.WithKey())); err != nil {
			continue
		}
		signer := Signer{Key: k.name}
		if !t.requireTlog {
			return signer, nil
		}
		v, err = verify.NewVerifier(k.material, verify.WithTransparencyLog(1), verify.WithNoObserverTimestamps(), verify.WithoutStatementPredicate())
		if err != nil {
			return Signer{}, fmt.Errorf("setting up verification: %w", err)
		}
		if _, err := v.Verify(c.entity, verify.NewPolicy(c.artifact(), verify.WithKey())); err != nil {
			return Signer{}, refuse(NoTlogProof, subject, "%s is signed by %s, but %s", c.where, signer, tlogProblem(c, err))
		}
		signer.Tlog = true
		return signer, nil
	}
	return Signer{}, refuse(UnknownKey, subject, "%s is not signed by any trusted key", c.where)
}

func tlogProblem(c candidate, err error) string {
	entries, _ := c.entity.TlogEntries()
	if len(entries) == 0 {
		return "it has no transparency-log entry and require-tlog is on (was it signed with --tlog-upload=false?)"
	}
	return fmt.Sprintf("its transparency-log proof does not verify against the trusted root: %v", err)
}

func (t *Trust) checkCertificate(c candidate, subject string) (Signer, error) {
	vc, _ := c.entity.VerificationContent()
	summary, err := certificate.SummarizeCertificate(vc.Certificate())
	if err != nil {
		return Signer{}, refuse(UnknownKey, subject, "%s carries an unreadable certificate: %v", c.where, err)
	}
	who := Signer{Identity: summary.SubjectAlternativeName, Issuer: summary.Issuer}
	if len(t.identities) == 0 {
		return Signer{}, refuse(UnknownKey, subject, "%s is signed keylessly by %s, but only keys are trusted", c.where, who)
	}
	entries, _ := c.entity.TlogEntries()
	useTlog := t.requireTlog || len(entries) > 0 && len(t.root.RekorLogs()) > 0
	res, err := t.verifyCertificate(c, useTlog)
	if err != nil && useTlog && !t.requireTlog {
		// A log proof that does not verify only dates the certificate;
		// without require-tlog the current time may do that.
		useTlog = false
		res, err = t.verifyCertificate(c, false)
	}
	if err != nil {
		if t.requireTlog {
			if _, errNow := t.verifyCertificate(c, false); errNow == nil {
				return Signer{}, refuse(NoTlogProof, subject, "%s is signed by %s, but %s", c.where, who, tlogProblem(c, err))
			}
		}
		return Signer{}, refuse(UnknownKey, subject, "%s is signed by a certificate for %s that does not verify against the trusted root: %v", c.where, who, err)
	}
	who.Tlog = useTlog
	if _, err := t.identities.Verify(*res.Signature.Certificate); err != nil {
		for _, id := range t.identities {
			if id.SubjectAlternativeName.Verify(*res.Signature.Certificate) == nil {
				return Signer{}, refuse(IssuerMismatch, subject, "%s is signed by %s: the identity is trusted, but its OIDC issuer %q is not", c.where, who, summary.Issuer)
			}
		}
		return Signer{}, refuse(IdentityMismatch, subject, "%s is signed by %s, which is not a trusted identity", c.where, who)
	}
	return who, nil
}

func (t *Trust) verifyCertificate(c candidate, useTlog bool) (*verify.VerificationResult, error) {
	opts := []verify.VerifierOption{verify.WithoutStatementPredicate()}
	if useTlog {
		opts = append(opts, verify.WithTransparencyLog(1), verify.WithIntegratedTimestamps(1))
	} else {
		opts = append(opts, verify.WithCurrentTime())
	}
	if t.requireSCT {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
	}
	v, err := verify.NewVerifier(t.root, opts...)
	if err != nil {
		return nil, fmt.Errorf("setting up verification: %w", err)
	}
	return v.Verify(c.entity, verify.NewPolicy(c.artifact(), verify.WithoutIdentitiesUnsafe()))
}

// asKey views a certificate-bearing candidate as a plain key signature.
func (c candidate) asKey() candidate {
	c.entity = keyView{c.entity}
	return c
}

// keyView hides an entity's certificate, so that its signature is checked
// against the trusted keys.
type keyView struct{ verify.SignedEntity }

func (keyView) VerificationContent() (verify.VerificationContent, error) {
	return &bundle.PublicKey{}, nil
}
