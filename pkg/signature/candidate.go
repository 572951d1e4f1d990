package signature

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"google.golang.org/protobuf/encoding/protojson"
)

// Media types and annotations of the cosign formats.
const (
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	DSSEMediaType          = "application/vnd.dsse.envelope.v1+json"
	BundleMediaType        = "application/vnd.dev.sigstore.bundle.v0.3+json"
	bundleMediaTypePrefix  = "application/vnd.dev.sigstore.bundle"

	AnnotationSignature   = "dev.cosignproject.cosign/signature"
	AnnotationCertificate = "dev.sigstore.cosign/certificate"
	AnnotationChain       = "dev.sigstore.cosign/chain"
	AnnotationRekorBundle = "dev.sigstore.cosign/bundle"
	// AnnotationBundlePredicateType is set by cosign v3 on a bundle
	// referrer; it is only a hint, the signed statement decides.
	AnnotationBundlePredicateType = "dev.sigstore.bundle.predicateType"

	// CosignSignPredicateType is the predicate of the in-toto statement
	// cosign v3 signs for an image signature.
	CosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1"
	inTotoPayloadType       = "application/vnd.in-toto+json"
)

// Format is how a signature was stored.
type Format string

// The formats.
const (
	// FormatCosignTag is cosign v2's sha256-<hex>.sig / .att tag.
	FormatCosignTag Format = "cosign-tag"
	// FormatBundle is a Sigstore bundle attached as an OCI referrer.
	FormatBundle Format = "sigstore-bundle"
)

// candidate is one signature or attestation found for an artifact, not yet
// trusted.
type candidate struct {
	// where says where it was found, for messages.
	where  string
	format Format
	entity verify.SignedEntity
	// payload is the simple-signing payload a cosign v2 signature covers;
	// nil for DSSE envelopes and bundles.
	payload []byte
	// envelope is the DSSE envelope, for statements.
	envelope *dsse.Envelope
	// message is the digest a bundle's message signature covers.
	message []byte
}

// legacyEntity adapts a cosign v2 signature layer to sigstore-go.
type legacyEntity struct {
	sig     verify.SignatureContent
	vc      verify.VerificationContent
	entries []*tlog.Entry
}

func (e *legacyEntity) HasInclusionPromise() bool { return len(e.entries) > 0 }
func (e *legacyEntity) HasInclusionProof() bool   { return false }
func (e *legacyEntity) SignatureContent() (verify.SignatureContent, error) {
	return e.sig, nil
}
func (e *legacyEntity) Timestamps() ([][]byte, error)       { return nil, nil }
func (e *legacyEntity) TlogEntries() ([]*tlog.Entry, error) { return e.entries, nil }
func (e *legacyEntity) Version() (string, error)            { return "v0.1", nil }
func (e *legacyEntity) VerificationContent() (verify.VerificationContent, error) {
	return e.vc, nil
}

// certContent is a certificate with the chain cosign stored beside it.
type certContent struct {
	leaf          *x509.Certificate
	intermediates []*x509.Certificate
}

func (c *certContent) CompareKey(key any, _ root.TrustedMaterial) bool {
	k, ok := key.(*x509.Certificate)
	return ok && c.leaf.Equal(k)
}
func (c *certContent) ValidAtTime(t time.Time, _ root.TrustedMaterial) bool {
	return !c.leaf.NotAfter.Before(t) && !c.leaf.NotBefore.After(t)
}
func (c *certContent) Certificate() *x509.Certificate      { return c.leaf }
func (c *certContent) Intermediates() []*x509.Certificate  { return c.intermediates }
func (c *certContent) PublicKey() verify.PublicKeyProvider { return nil }

// parseLegacy reads one layer of a cosign v2 signature or attestation image.
func parseLegacy(where, mediaType string, annotations map[string]string, blob []byte) (candidate, error) {
	c := candidate{where: where, format: FormatCosignTag}
	e := &legacyEntity{vc: &bundle.PublicKey{}}
	switch mediaType {
	case SimpleSigningMediaType:
		sig, err := base64.StdEncoding.DecodeString(annotations[AnnotationSignature])
		if err != nil || len(sig) == 0 {
			return c, fmt.Errorf("no valid %s annotation", AnnotationSignature)
		}
		sum := sha256.Sum256(blob)
		e.sig = bundle.NewMessageSignature(sum[:], "SHA2_256", sig)
		c.payload = blob
	case DSSEMediaType:
		var env dsse.Envelope
		if err := json.Unmarshal(blob, &env); err != nil {
			return c, fmt.Errorf("reading DSSE envelope: %w", err)
		}
		if len(env.Signatures) == 0 {
			return c, errors.New("DSSE envelope has no signature")
		}
		e.sig = &bundle.Envelope{Envelope: &env}
		c.envelope = &env
	default:
		return c, fmt.Errorf("unexpected media type %q", mediaType)
	}
	if certPEM := annotations[AnnotationCertificate]; certPEM != "" {
		certs, err := cryptoutils.UnmarshalCertificatesFromPEM([]byte(certPEM))
		if err != nil || len(certs) == 0 {
			return c, fmt.Errorf("reading %s annotation: %v", AnnotationCertificate, err)
		}
		cc := &certContent{leaf: certs[0]}
		if chainPEM := annotations[AnnotationChain]; chainPEM != "" {
			chain, err := cryptoutils.UnmarshalCertificatesFromPEM([]byte(chainPEM))
			if err != nil {
				return c, fmt.Errorf("reading %s annotation: %w", AnnotationChain, err)
			}
			for _, ca := range chain {
				// Roots come from the trusted root only.
				if !isSelfSigned(ca) {
					cc.intermediates = append(cc.intermediates, ca)
				}
			}
		}
		e.vc = cc
	}
	if rb := annotations[AnnotationRekorBundle]; rb != "" {
		entry, err := parseRekorBundle([]byte(rb))
		if err != nil {
			return c, fmt.Errorf("reading %s annotation: %w", AnnotationRekorBundle, err)
		}
		e.entries = []*tlog.Entry{entry}
	}
	c.entity = e
	return c, nil
}

func isSelfSigned(c *x509.Certificate) bool {
	return c.CheckSignatureFrom(c) == nil
}

// rekorBundle is cosign's dev.sigstore.cosign/bundle annotation.
type rekorBundle struct {
	SignedEntryTimestamp []byte `json:"SignedEntryTimestamp"`
	Payload              struct {
		Body           []byte `json:"body"`
		IntegratedTime int64  `json:"integratedTime"`
		LogIndex       int64  `json:"logIndex"`
		LogID          string `json:"logID"`
	} `json:"Payload"`
}

func parseRekorBundle(data []byte) (*tlog.Entry, error) {
	var rb rekorBundle
	if err := json.Unmarshal(data, &rb); err != nil {
		return nil, err
	}
	logID, err := hex.DecodeString(rb.Payload.LogID)
	if err != nil {
		return nil, fmt.Errorf("log ID: %w", err)
	}
	var kv struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(rb.Payload.Body, &kv); err != nil {
		return nil, fmt.Errorf("entry body: %w", err)
	}
	return tlog.ParseTransparencyLogEntry(&protorekor.TransparencyLogEntry{
		LogIndex:          rb.Payload.LogIndex,
		LogId:             &protocommon.LogId{KeyId: logID},
		KindVersion:       &protorekor.KindVersion{Kind: kv.Kind, Version: kv.APIVersion},
		IntegratedTime:    rb.Payload.IntegratedTime,
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: rb.SignedEntryTimestamp},
		CanonicalizedBody: rb.Payload.Body,
	})
}

// parseBundle reads a Sigstore bundle blob.
func parseBundle(where string, blob []byte) (candidate, error) {
	c := candidate{where: where, format: FormatBundle}
	var pb protobundle.Bundle
	if err := protojson.Unmarshal(blob, &pb); err != nil {
		return c, fmt.Errorf("reading bundle: %w", err)
	}
	b, err := bundle.NewBundle(&pb, bundle.AllowCertificateChain())
	if err != nil {
		// AllowCertificateChain is refused for bundles before v0.3.
		b, err = bundle.NewBundle(&pb)
	}
	if err != nil {
		return c, fmt.Errorf("reading bundle: %w", err)
	}
	c.entity = b
	switch content := pb.Content.(type) {
	case *protobundle.Bundle_DsseEnvelope:
		env, err := b.Envelope()
		if err != nil {
			return c, fmt.Errorf("reading bundle envelope: %w", err)
		}
		c.envelope = env.RawEnvelope()
	case *protobundle.Bundle_MessageSignature:
		if content.MessageSignature.GetMessageDigest() == nil {
			return c, errors.New("bundle message signature has no digest")
		}
		c.message = content.MessageSignature.GetMessageDigest().GetDigest()
	default:
		return c, errors.New("bundle holds neither a DSSE envelope nor a message signature")
	}
	return c, nil
}

// statement is the part of an in-toto statement that claims are checked on.
type statement struct {
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
}

// parseStatement reads the in-toto statement of a DSSE envelope without
// trusting it; verification decides whether it counts.
func parseStatement(env *dsse.Envelope) (statement, error) {
	var st statement
	if env.PayloadType != inTotoPayloadType {
		return st, fmt.Errorf("DSSE payload type %q is not an in-toto statement", env.PayloadType)
	}
	payload, err := env.DecodeB64Payload()
	if err != nil {
		return st, fmt.Errorf("decoding DSSE payload: %w", err)
	}
	if err := json.Unmarshal(payload, &st); err != nil {
		return st, fmt.Errorf("reading in-toto statement: %w", err)
	}
	return st, nil
}

// names reports whether the statement has a subject with digest alg:hex.
func (st statement) names(alg, hexDigest string) bool {
	for _, s := range st.Subject {
		if strings.EqualFold(s.Digest[alg], hexDigest) {
			return true
		}
	}
	return false
}

func (st statement) subjectDigests() string {
	var ds []string
	for _, s := range st.Subject {
		for alg, d := range s.Digest {
			ds = append(ds, alg+":"+d)
		}
	}
	if len(ds) == 0 {
		return "none"
	}
	return strings.Join(ds, ", ")
}

// simpleSigning is the claim part of a cosign simple-signing payload.
type simpleSigning struct {
	Critical struct {
		Image struct {
			Digest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
}
