package signature

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	sigsig "github.com/sigstore/sigstore/pkg/signature"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/registry"
)

// PrivateKey is a cosign signing key.
type PrivateKey struct {
	signer sigsig.Signer
	pubDER []byte
}

// LoadPrivateKey decodes a cosign private key: ENCRYPTED SIGSTORE PRIVATE
// KEY (as `cosign generate-key-pair` writes it: scrypt and secretbox, opened
// with password), or an unencrypted PKCS#8, SEC 1 or PKCS#1 key. A wrong
// password or a bad key is outcome.Invalid.
func LoadPrivateKey(pemBytes, password []byte) (*PrivateKey, error) {
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(pemBytes, cryptoutils.StaticPasswordFunc(password))
	if err != nil {
		return nil, outcome.Invalidf("reading the signing key (wrong password?): %w", err)
	}
	s, err := sigsig.LoadSigner(priv, crypto.SHA256)
	if err != nil {
		return nil, outcome.Invalidf("reading the signing key: %w", err)
	}
	pub, err := s.PublicKey()
	if err != nil {
		return nil, outcome.Invalidf("reading the signing key: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, outcome.Invalidf("reading the signing key: %w", err)
	}
	return &PrivateKey{signer: s, pubDER: der}, nil
}

// PublicKeyPEM is the PEM public key to verify this key's signatures with.
func (k *PrivateKey) PublicKeyPEM() []byte {
	return cryptoutils.PEMEncode(cryptoutils.PublicKeyPEMType, k.pubDER)
}

func (k *PrivateKey) sign(data []byte) ([]byte, error) {
	return k.signer.SignMessage(bytes.NewReader(data))
}

// SignOptions says which formats SignArtifact writes. The zero value writes
// the cosign v2 tag only, which cosign v2 and v3 both verify.
type SignOptions struct {
	// Bundle also attaches a Sigstore bundle as an OCI referrer, the format
	// cosign v3 writes by default. cosign v3 prefers bundles when any exist.
	Bundle bool
	// NoTag skips the cosign v2 tag (only meaningful with Bundle).
	NoTag bool
	// Certificate (PEM) binds the key to a keyless identity, as cosign's
	// --certificate does; Chain (PEM) holds its issuing CA certificates.
	// Without them the signature is a plain key signature.
	Certificate, Chain []byte
	// Now dates the bundle referrer; nil is time.Now.
	Now func() time.Time
}

// Signed says what SignArtifact wrote.
type Signed struct {
	// Tag is the cosign v2 signature tag (repo:sha256-<hex>.sig), if written.
	Tag string
	// Bundle is the bundle referrer's manifest digest, if written.
	Bundle digest.Digest
}

// SignArtifact signs the artifact ref (registry/repo@sha256:... or
// oci-layout:<dir>@sha256:...) with a cosign private key and stores the
// signature beside it, without a transparency-log entry (verify with
// `cosign verify --key ... --insecure-ignore-tlog`).
func SignArtifact(ctx context.Context, client *registry.Client, ref string, privateKeyPEM, password []byte, opts SignOptions) (Signed, error) {
	key, err := LoadPrivateKey(privateKeyPEM, password)
	if err != nil {
		return Signed{}, err
	}
	r, err := registry.ParseReference(ref)
	if err != nil {
		return Signed{}, err
	}
	if r.Digest == "" {
		return Signed{}, outcome.Invalidf("signing %s: give the artifact by digest, not by tag", ref)
	}
	target, err := client.Target(ctx, r, false)
	if err != nil {
		return Signed{}, client.Classify(err, host(r))
	}
	desc, err := target.Resolve(ctx, r.Digest.String())
	if err != nil {
		return Signed{}, client.Classify(fmt.Errorf("signing %s: %w", ref, err), host(r))
	}
	s, err := Sign(ctx, target, r.Repo(), desc, key, opts)
	if err != nil {
		return s, client.Classify(fmt.Errorf("signing %s: %w", ref, err), host(r))
	}
	return s, nil
}

// Sign stores a signature of subject, which lives in target (the repository
// repo, as the simple-signing claim names it), in the formats opts selects.
func Sign(ctx context.Context, target oras.Target, repo string, subject ocispec.Descriptor, key *PrivateKey, opts SignOptions) (Signed, error) {
	var out Signed
	if opts.NoTag && !opts.Bundle {
		return out, outcome.Invalidf("signing: NoTag without Bundle writes no signature")
	}
	if err := checkCertificate(key, opts.Certificate); err != nil {
		return out, err
	}
	if !opts.NoTag {
		tag, err := signTag(ctx, target, repo, subject, key, opts)
		if err != nil {
			return out, err
		}
		out.Tag = repo + ":" + tag
	}
	if opts.Bundle {
		now := time.Now
		if opts.Now != nil {
			now = opts.Now
		}
		d, err := signBundle(ctx, target, subject, key, opts, now())
		if err != nil {
			return out, err
		}
		out.Bundle = d
	}
	return out, nil
}

// simpleSigningPayload is the claim cosign signs for an image, byte for byte
// in cosign's layout.
func simpleSigningPayload(repo string, d digest.Digest) ([]byte, error) {
	type critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	}
	var c critical
	c.Identity.DockerReference = repo
	c.Image.DockerManifestDigest = d.String()
	c.Type = "cosign container image signature"
	return json.Marshal(struct {
		Critical critical       `json:"critical"`
		Optional map[string]any `json:"optional"`
	}{Critical: c})
}

// signTag writes (or extends) the cosign v2 signature image of subject.
func signTag(ctx context.Context, target oras.Target, repo string, subject ocispec.Descriptor, key *PrivateKey, opts SignOptions) (string, error) {
	payload, err := simpleSigningPayload(repo, subject.Digest)
	if err != nil {
		return "", err
	}
	sig, err := key.sign(payload)
	if err != nil {
		return "", fmt.Errorf("signing: %w", err)
	}
	layer := content.NewDescriptorFromBytes(SimpleSigningMediaType, payload)
	layer.Annotations = map[string]string{AnnotationSignature: base64.StdEncoding.EncodeToString(sig)}
	if len(opts.Certificate) > 0 {
		layer.Annotations[AnnotationCertificate] = string(opts.Certificate)
		if len(opts.Chain) > 0 {
			layer.Annotations[AnnotationChain] = string(opts.Chain)
		}
	}
	return appendLayer(ctx, target, subject, "sig", layer, payload)
}

// appendLayer adds a layer to the cosign v2 image at subject's "sig" or
// "att" tag, keeping the layers already there as cosign does, and returns
// the tag.
func appendLayer(ctx context.Context, target oras.Target, subject ocispec.Descriptor, suffix string, layer ocispec.Descriptor, blob []byte) (string, error) {
	if err := pushBlob(ctx, target, layer, blob); err != nil {
		return "", err
	}
	tag := cosignTag(subject.Digest, suffix)
	var layers []ocispec.Descriptor
	if src, ok := target.(source); ok {
		old, found, err := fetchManifest(ctx, src, tag)
		var mal errMalformed
		if err != nil && !errors.As(err, &mal) {
			return "", err
		}
		if found && err == nil {
			for _, l := range old.Layers {
				if l.Digest == layer.Digest && maps.Equal(l.Annotations, layer.Annotations) {
					continue
				}
				layers = append(layers, l)
			}
		}
	}
	layers = append(layers, layer)

	diffIDs := make([]digest.Digest, len(layers))
	for i, l := range layers {
		diffIDs[i] = l.Digest
	}
	config, err := json.Marshal(ocispec.Image{RootFS: ocispec.RootFS{Type: "layers", DiffIDs: diffIDs}})
	if err != nil {
		return "", err
	}
	configDesc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageConfig, config)
	if err := pushBlob(ctx, target, configDesc, config); err != nil {
		return "", err
	}
	manifest, err := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    configDesc,
		Layers:    layers,
	})
	if err != nil {
		return "", err
	}
	if _, err := oras.TagBytes(ctx, target, ocispec.MediaTypeImageManifest, manifest, tag); err != nil {
		return "", fmt.Errorf("pushing %s: %w", tag, err)
	}
	return tag, nil
}

func pushBlob(ctx context.Context, target oras.Target, desc ocispec.Descriptor, data []byte) error {
	err := target.Push(ctx, desc, bytes.NewReader(data))
	if err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return fmt.Errorf("pushing blob %s: %w", desc.Digest, err)
	}
	return nil
}

// signBundle attaches a Sigstore bundle (DSSE, an in-toto statement of
// predicate type CosignSignPredicateType about subject) as a referrer,
// as cosign v3 does.
func signBundle(ctx context.Context, target oras.Target, subject ocispec.Descriptor, key *PrivateKey, opts SignOptions, now time.Time) (digest.Digest, error) {
	stmt, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"digest": map[string]string{subject.Digest.Algorithm().String(): subject.Digest.Encoded()}}},
		"predicateType": CosignSignPredicateType,
		"predicate":     map[string]any{},
	})
	if err != nil {
		return "", err
	}
	sig, err := key.sign(dsse.PAE(inTotoPayloadType, stmt))
	if err != nil {
		return "", fmt.Errorf("signing: %w", err)
	}
	material, err := verificationMaterial(key, opts)
	if err != nil {
		return "", err
	}
	pb := &protobundle.Bundle{
		MediaType:            BundleMediaType,
		VerificationMaterial: material,
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload:     stmt,
			PayloadType: inTotoPayloadType,
			Signatures:  []*protodsse.Signature{{Sig: sig}},
		}},
	}
	return pushBundle(ctx, target, subject, pb, CosignSignPredicateType, now)
}

// verificationMaterial is the key hint, or the certificate (with its chain
// when given).
func verificationMaterial(key *PrivateKey, opts SignOptions) (*protobundle.VerificationMaterial, error) {
	if len(opts.Certificate) == 0 {
		hint := sha256.Sum256(key.pubDER)
		return &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{
				Hint: base64.StdEncoding.EncodeToString(hint[:]),
			}},
		}, nil
	}
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM(append(append([]byte{}, opts.Certificate...), opts.Chain...))
	if err != nil || len(certs) == 0 {
		return nil, outcome.Invalidf("reading the signing certificate: %v", err)
	}
	if len(certs) == 1 {
		return &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: certs[0].Raw}},
		}, nil
	}
	chain := &protocommon.X509CertificateChain{}
	for i, c := range certs {
		// Roots come from the verifier's trusted root, never the bundle.
		if i > 0 && isSelfSigned(c) {
			continue
		}
		chain.Certificates = append(chain.Certificates, &protocommon.X509Certificate{RawBytes: c.Raw})
	}
	if len(chain.Certificates) == 1 {
		return &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_Certificate{Certificate: chain.Certificates[0]},
		}, nil
	}
	return &protobundle.VerificationMaterial{
		Content: &protobundle.VerificationMaterial_X509CertificateChain{X509CertificateChain: chain},
	}, nil
}

// checkCertificate refuses a certificate that is not for key.
func checkCertificate(key *PrivateKey, certPEM []byte) error {
	if len(certPEM) == 0 {
		return nil
	}
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM(certPEM)
	if err != nil || len(certs) == 0 {
		return outcome.Invalidf("reading the signing certificate: %v", err)
	}
	der, err := x509.MarshalPKIXPublicKey(certs[0].PublicKey)
	if err != nil || !bytes.Equal(der, key.pubDER) {
		return outcome.Invalidf("the signing certificate is not for the signing key")
	}
	return nil
}
