package signature

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"google.golang.org/protobuf/encoding/protojson"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
)

// Attest stores a signed in-toto attestation (predicateType, predicate
// JSON) about subject, which lives in target: as a cosign v2 attestation
// (DSSE envelope in the sha256-<hex>.att tag, kept beside earlier ones) and,
// with opts.Bundle, as a Sigstore bundle referrer like cosign v3's.
func Attest(ctx context.Context, target oras.Target, subject ocispec.Descriptor, key *PrivateKey, predicateType string, predicate json.RawMessage, opts SignOptions) (Signed, error) {
	var out Signed
	if err := checkCertificate(key, opts.Certificate); err != nil {
		return out, err
	}
	if len(predicate) == 0 {
		predicate = json.RawMessage("{}")
	}
	stmt, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"digest": map[string]string{subject.Digest.Algorithm().String(): subject.Digest.Encoded()}}},
		"predicateType": predicateType,
		"predicate":     predicate,
	})
	if err != nil {
		return out, fmt.Errorf("encoding the statement: %w", err)
	}
	sig, err := key.sign(dsse.PAE(inTotoPayloadType, stmt))
	if err != nil {
		return out, fmt.Errorf("signing: %w", err)
	}
	if !opts.NoTag {
		env, err := json.Marshal(dsse.Envelope{
			PayloadType: inTotoPayloadType,
			Payload:     base64.StdEncoding.EncodeToString(stmt),
			Signatures:  []dsse.Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}},
		})
		if err != nil {
			return out, err
		}
		layer := content.NewDescriptorFromBytes(DSSEMediaType, env)
		layer.Annotations = map[string]string{AnnotationSignature: "", "predicateType": predicateType}
		if len(opts.Certificate) > 0 {
			layer.Annotations[AnnotationCertificate] = string(opts.Certificate)
			if len(opts.Chain) > 0 {
				layer.Annotations[AnnotationChain] = string(opts.Chain)
			}
		}
		tag, err := appendLayer(ctx, target, subject, "att", layer, env)
		if err != nil {
			return out, err
		}
		out.Tag = tag
	}
	if opts.Bundle {
		now := time.Now
		if opts.Now != nil {
			now = opts.Now
		}
		material, err := verificationMaterial(key, opts)
		if err != nil {
			return out, err
		}
		pb := &protobundle.Bundle{
			MediaType:            BundleMediaType,
			VerificationMaterial: material,
			Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
				Payload: stmt, PayloadType: inTotoPayloadType, Signatures: []*protodsse.Signature{{Sig: sig}},
			}},
		}
		d, err := pushBundle(ctx, target, subject, pb, predicateType, now())
		if err != nil {
			return out, err
		}
		out.Bundle = d
	}
	return out, nil
}

// pushBundle checks and attaches a bundle to subject as a referrer.
func pushBundle(ctx context.Context, target oras.Target, subject ocispec.Descriptor, pb *protobundle.Bundle, predicateType string, now time.Time) (digest.Digest, error) {
	if _, err := bundle.NewBundle(pb, bundle.AllowCertificateChain()); err != nil {
		return "", fmt.Errorf("building bundle: %w", err)
	}
	data, err := protojson.Marshal(pb)
	if err != nil {
		return "", err
	}
	layer := content.NewDescriptorFromBytes(BundleMediaType, data)
	if err := pushBlob(ctx, target, layer, data); err != nil {
		return "", err
	}
	desc, err := oras.PackManifest(ctx, target, oras.PackManifestVersion1_1, BundleMediaType, oras.PackManifestOptions{
		Subject: &subject,
		Layers:  []ocispec.Descriptor{layer},
		ManifestAnnotations: map[string]string{
			ocispec.AnnotationCreated:     now.UTC().Format(time.RFC3339),
			"dev.sigstore.bundle.content": "dsse-envelope",
			AnnotationBundlePredicateType: predicateType,
		},
	})
	if err != nil {
		return "", fmt.Errorf("pushing bundle referrer: %w", err)
	}
	return desc.Digest, nil
}
