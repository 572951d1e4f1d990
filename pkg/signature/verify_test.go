package signature

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	orasregistry "oras.land/oras-go/v2/registry"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/registry"
)

const pw = "correct horse"

const slsa = "https://slsa.dev/provenance/v1"

// scenario prepares an artifact in the registry and returns the request to
// verify.
type scenario struct {
	name  string
	setup func(t *testing.T, f *fixture) Request
	trust func(f *fixture) Material // nil: the trusted key only
	// want is the reason of the single failure; ReasonUnknown means pass.
	want Reason
	// check inspects a passing result.
	check func(t *testing.T, r Result)
}

type fixture struct {
	*env
	key, otherKey *PrivateKey
	pub, otherPub []byte
	ca, otherCA   *testCA
	n             int
	// trustedPEM is a public key a scenario's setup hands to its trust.
	trustedPEM []byte
}

func (f *fixture) image(t *testing.T, seed string) (string, ocispec.Descriptor) {
	f.n++
	return f.pushImage(t, "team/api", fmt.Sprintf("t%d", f.n), fmt.Sprintf("%s-%d", seed, f.n))
}

func (f *fixture) sign(t *testing.T, ref string, key []byte, opts SignOptions) {
	t.Helper()
	if _, err := SignArtifact(context.Background(), f.client, ref, key, []byte(pw), opts); err != nil {
		t.Fatalf("SignArtifact(%s): %v", ref, err)
	}
}

func TestVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real local registry")
	}
	e := newEnv(t)
	priv, pub := keyPair(t, pw)
	otherPriv, otherPub := keyPair(t, pw)
	f := &fixture{env: e, pub: pub, otherPub: otherPub, ca: newTestCA(t), otherCA: newTestCA(t)}
	f.key, f.otherKey = mustLoadKey(t, priv, pw), mustLoadKey(t, otherPriv, pw)
	otherKeyTypes(t)
	keyless := func(f *fixture) Material {
		return Material{TrustedRoot: f.ca.trustedRoot(t), Identities: []Identity{{Subject: "ci@example.com", Issuer: "https://issuer.example"}}}
	}
	signKeyless := func(t *testing.T, f *fixture, ca *testCA, identity, issuer string, opts SignOptions) Request {
		ref, _ := f.image(t, "keyless")
		k, cert, chain := ca.issue(t, identity, issuer, pw)
		opts.Certificate, opts.Chain = cert, chain
		f.sign(t, ref, k, opts)
		return Request{Ref: ref, Signature: true}
	}

	tests := []scenario{
		{name: "signed tag", setup: func(t *testing.T, f *fixture) Request {
			ref, _ := f.image(t, "a")
			f.sign(t, ref, priv, SignOptions{})
			return Request{Ref: ref, Signature: true}
		}, check: func(t *testing.T, r Result) {
			if r.Signer == nil || r.Signer.Key != "trusted.pub" || r.Signer.Format != FormatCosignTag {
				t.Errorf("Signer = %+v, want key trusted.pub in %s", r.Signer, FormatCosignTag)
			}
		}},
		{name: "signed bundle referrer only", setup: func(t *testing.T, f *fixture) Request {
			ref, _ := f.image(t, "b")
			f.sign(t, ref, priv, SignOptions{Bundle: true, NoTag: true})
			return Request{Ref: ref, Signature: true}
		}, check: func(t *testing.T, r Result) {
			if r.Signer == nil || r.Signer.Format != FormatBundle {
				t.Errorf("Signer = %+v, want a %s signer", r.Signer, FormatBundle)
			}
		}},
		{name: "unsigned", want: Unsigned, setup: func(t *testing.T, f *fixture) Request {
			ref, _ := f.image(t, "c")
			return Request{Ref: ref, Signature: true}
		}},
		{name: "signed by an unknown key", want: UnknownKey, setup: func(t *testing.T, f *fixture) Request {
			ref, _ := f.image(t, "d")
			f.sign(t, ref, otherPriv, SignOptions{Bundle: true})
			return Request{Ref: ref, Signature: true}
		}},
		{name: "signature copied from another image", want: WrongDigestClaim, setup: func(t *testing.T, f *fixture) Request {
			ref, desc := f.image(t, "e")
			otherRef, otherDesc := f.image(t, "e-other")
			f.sign(t, otherRef, priv, SignOptions{})
			tg := f.target(t, "team/api")
			sigDesc, err := tg.Resolve(context.Background(), cosignTag(otherDesc.Digest, "sig"))
			if err != nil {
				t.Fatal(err)
			}
			if err := tg.Tag(context.Background(), sigDesc, cosignTag(desc.Digest, "sig")); err != nil {
				t.Fatal(err)
			}
			return Request{Ref: ref, Signature: true}
		}},
		{name: "bundle copied from another image", want: WrongDigestClaim, setup: func(t *testing.T, f *fixture) Request {
			ref, desc := f.image(t, "f")
			otherRef, otherDesc := f.image(t, "f-other")
			f.sign(t, otherRef, priv, SignOptions{Bundle: true, NoTag: true})
			copyBundles(t, f.target(t, "team/api"), otherDesc, desc)
			return Request{Ref: ref, Signature: true}
		}},
		{name: "tag instead of digest", want: TagNotDigest, setup: func(t *testing.T, f *fixture) Request {
			f.image(t, "g")
			return Request{Ref: f.host + "/team/api:latest", Signature: true}
		}},
		{name: "not found", want: NotFound, setup: func(t *testing.T, f *fixture) Request {
			return Request{Ref: f.host + "/team/api@" + digest.FromString("nothing").String(), Signature: true}
		}},
		{name: "tampered tag: the new digest is unsigned", want: Unsigned, setup: func(t *testing.T, f *fixture) Request {
			ref, _ := f.pushImage(t, "team/web", "1.0", "original")
			f.sign(t, ref, priv, SignOptions{})
			tampered, _ := f.pushImage(t, "team/web", "1.0", "tampered")
			return Request{Ref: tampered, Signature: true}
		}},
		{name: "require tlog, signed without log entry", want: NoTlogProof,
			trust: func(f *fixture) Material {
				return Material{Keys: []Key{{Name: "trusted.pub", PEM: f.pub}}, TrustedRoot: f.ca.trustedRoot(t), RequireTlog: true}
			},
			setup: func(t *testing.T, f *fixture) Request {
				ref, _ := f.image(t, "h")
				f.sign(t, ref, priv, SignOptions{})
				return Request{Ref: ref, Signature: true}
			}},
		{name: "require tlog, with a verified log entry",
			trust: func(f *fixture) Material {
				return Material{Keys: []Key{{Name: "trusted.pub", PEM: f.pub}}, TrustedRoot: f.ca.trustedRoot(t), RequireTlog: true}
			},
			setup: func(t *testing.T, f *fixture) Request {
				ref, desc := f.image(t, "i")
				writeLoggedSignature(t, f, ref, desc.Digest, f.key, f.pub, f.ca)
				return Request{Ref: ref, Signature: true}
			},
			check: func(t *testing.T, r Result) {
				if r.Signer == nil || !r.Signer.Tlog {
					t.Errorf("Signer = %+v, want Tlog true", r.Signer)
				}
			}},
		{name: "require tlog, log entry from an untrusted log", want: NoTlogProof,
			trust: func(f *fixture) Material {
				return Material{Keys: []Key{{Name: "trusted.pub", PEM: f.pub}}, TrustedRoot: f.ca.trustedRoot(t), RequireTlog: true}
			},
			setup: func(t *testing.T, f *fixture) Request {
				ref, desc := f.image(t, "j")
				writeLoggedSignature(t, f, ref, desc.Digest, f.key, f.pub, f.otherCA)
				return Request{Ref: ref, Signature: true}
			}},
		{name: "rsa key", trust: func(f *fixture) Material { return Material{Keys: []Key{{PEM: rsaPub}}} },
			setup: func(t *testing.T, f *fixture) Request {
				ref, _ := f.image(t, "k")
				f.sign(t, ref, rsaPriv, SignOptions{Bundle: true})
				return Request{Ref: ref, Signature: true}
			}},
		{name: "ed25519 key", trust: func(f *fixture) Material { return Material{Keys: []Key{{PEM: edPub}}} },
			setup: func(t *testing.T, f *fixture) Request {
				ref, _ := f.image(t, "l")
				f.sign(t, ref, edPriv, SignOptions{Bundle: true})
				return Request{Ref: ref, Signature: true}
			}},
		{name: "second of two trusted keys", trust: func(f *fixture) Material {
			return Material{Keys: []Key{{Name: "a.pub", PEM: f.pub}, {Name: "b.pub", PEM: f.otherPub}}}
		}, setup: func(t *testing.T, f *fixture) Request {
			ref, _ := f.image(t, "m")
			f.sign(t, ref, otherPriv, SignOptions{})
			return Request{Ref: ref, Signature: true}
		}, check: func(t *testing.T, r Result) {
			if r.Signer == nil || r.Signer.Key != "b.pub" {
				t.Errorf("Signer = %+v, want key b.pub", r.Signer)
			}
		}},
		{name: "keyless tag", trust: keyless, setup: func(t *testing.T, f *fixture) Request {
			return signKeyless(t, f, f.ca, "ci@example.com", "https://issuer.example", SignOptions{})
		}, check: func(t *testing.T, r Result) {
			if r.Signer == nil || r.Signer.Identity != "ci@example.com" || r.Signer.Issuer != "https://issuer.example" {
				t.Errorf("Signer = %+v, want ci@example.com from https://issuer.example", r.Signer)
			}
		}},
		{name: "keyless bundle", trust: keyless, setup: func(t *testing.T, f *fixture) Request {
			return signKeyless(t, f, f.ca, "ci@example.com", "https://issuer.example", SignOptions{Bundle: true, NoTag: true})
		}},
		{name: "keyless, require tlog, with a verified log entry",
			trust: func(f *fixture) Material {
				m := keyless(f)
				m.RequireTlog = true
				return m
			},
			setup: func(t *testing.T, f *fixture) Request {
				ref, desc := f.image(t, "keyless-tlog")
				k, cert, chain := f.ca.issue(t, "ci@example.com", "https://issuer.example", pw)
				writeLoggedSignature(t, f, ref, desc.Digest, mustLoadKey(t, k, pw), cert, f.ca,
					AnnotationCertificate, string(cert), AnnotationChain, string(chain))
				return Request{Ref: ref, Signature: true}
			},
			check: func(t *testing.T, r Result) {
				if r.Signer == nil || !r.Signer.Tlog || r.Signer.Identity != "ci@example.com" {
					t.Errorf("Signer = %+v, want ci@example.com with Tlog", r.Signer)
				}
			}},
		{name: "keyless, require tlog, without a log entry", want: NoTlogProof,
			trust: func(f *fixture) Material {
				m := keyless(f)
				m.RequireTlog = true
				return m
			},
			setup: func(t *testing.T, f *fixture) Request {
				return signKeyless(t, f, f.ca, "ci@example.com", "https://issuer.example", SignOptions{})
			}},
		{name: "keyless identity regexp", trust: func(f *fixture) Material {
			return Material{TrustedRoot: f.ca.trustedRoot(t), Identities: []Identity{{SubjectRegexp: `^https://ci\.example/org/.*$`, IssuerRegexp: `^https://issuer\.`}}}
		}, setup: func(t *testing.T, f *fixture) Request {
			return signKeyless(t, f, f.ca, "https://ci.example/org/repo/.ci/release.yml@refs/heads/main", "https://issuer.example", SignOptions{})
		}},
		{name: "keyless identity mismatch", want: IdentityMismatch, trust: keyless, setup: func(t *testing.T, f *fixture) Request {
			return signKeyless(t, f, f.ca, "mallory@example.com", "https://issuer.example", SignOptions{})
		}},
		{name: "keyless issuer mismatch", want: IssuerMismatch, trust: keyless, setup: func(t *testing.T, f *fixture) Request {
			return signKeyless(t, f, f.ca, "ci@example.com", "https://evil.example", SignOptions{Bundle: true, NoTag: true})
		}},
		{name: "keyless from an untrusted CA", want: UnknownKey, trust: keyless, setup: func(t *testing.T, f *fixture) Request {
			return signKeyless(t, f, f.otherCA, "ci@example.com", "https://issuer.example", SignOptions{})
		}},
		{name: "keyless while only keys are trusted", want: UnknownKey, setup: func(t *testing.T, f *fixture) Request {
			return signKeyless(t, f, f.ca, "ci@example.com", "https://issuer.example", SignOptions{})
		}},
		{name: "certificate for a trusted key, only keys trusted", setup: func(t *testing.T, f *fixture) Request {
			ref, _ := f.image(t, "cert-key")
			k, cert, chain := f.ca.issue(t, "ci@example.com", "https://issuer.example", pw)
			f.sign(t, ref, k, SignOptions{Certificate: cert, Chain: chain})
			f.trustedPEM = publicPEM(t, k)
			return Request{Ref: ref, Signature: true}
		}, trust: func(f *fixture) Material { return Material{Keys: []Key{{Name: "leaf.pub", PEM: f.trustedPEM}}} },
			check: func(t *testing.T, r Result) {
				if r.Signer == nil || r.Signer.Key != "leaf.pub" {
					t.Errorf("Signer = %+v, want key leaf.pub", r.Signer)
				}
			}},
		{name: "attestation present", setup: func(t *testing.T, f *fixture) Request {
			ref, desc := f.image(t, "n")
			f.sign(t, ref, priv, SignOptions{})
			attest(t, f.target(t, "team/api"), desc.Digest, f.key, slsa)
			return Request{Ref: ref, Signature: true, Attestations: []string{slsa}}
		}, check: func(t *testing.T, r Result) {
			if len(r.Attestations) != 1 || r.Attestations[0].PredicateType != slsa {
				t.Errorf("Attestations = %+v, want one of %s", r.Attestations, slsa)
			}
		}},
		{name: "attestation missing", want: MissingAttestation, setup: func(t *testing.T, f *fixture) Request {
			ref, _ := f.image(t, "o")
			f.sign(t, ref, priv, SignOptions{Bundle: true})
			return Request{Ref: ref, Signature: true, Attestations: []string{slsa}}
		}},
		{name: "attestation of another predicate type", want: MissingAttestation, setup: func(t *testing.T, f *fixture) Request {
			ref, desc := f.image(t, "p")
			f.sign(t, ref, priv, SignOptions{})
			attest(t, f.target(t, "team/api"), desc.Digest, f.key, "https://spdx.dev/Document")
			return Request{Ref: ref, Signature: true, Attestations: []string{slsa}}
		}},
		{name: "attestation by an unknown key", want: MissingAttestation, setup: func(t *testing.T, f *fixture) Request {
			ref, desc := f.image(t, "q")
			f.sign(t, ref, priv, SignOptions{})
			attest(t, f.target(t, "team/api"), desc.Digest, f.otherKey, slsa)
			return Request{Ref: ref, Signature: true, Attestations: []string{slsa}}
		}},
		{name: "nothing required", setup: func(t *testing.T, f *fixture) Request {
			ref, _ := f.image(t, "r")
			return Request{Ref: ref}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.setup(t, f)
			m := Material{Keys: []Key{{Name: "trusted.pub", PEM: f.pub}}}
			if tt.trust != nil {
				m = tt.trust(f)
			}
			res, err := NewVerifier(mustTrust(t, m), f.client).Verify(context.Background(), req)
			if err != nil {
				t.Fatalf("Verify(%s) error = %v, want a result", req.Ref, err)
			}
			if tt.want == ReasonUnknown {
				if !res.OK() {
					t.Fatalf("Verify(%s) failures = %v, want none", req.Ref, res.Failures)
				}
				if tt.check != nil {
					tt.check(t, res)
				}
				return
			}
			if len(res.Failures) != 1 {
				t.Fatalf("Verify(%s) failures = %v, want one of reason %s", req.Ref, res.Failures, tt.want)
			}
			if got := res.Failures[0].Reason; got != tt.want {
				t.Errorf("Verify(%s) reason = %s (%v), want %s", req.Ref, got, res.Failures[0], tt.want)
			}
			t.Logf("refused as expected: %v", res.Failures[0])
		})
	}
}

// copyBundles attaches the bundles referring to from to to as well, as an
// attacker copying another image's signature would.
func copyBundles(t *testing.T, tg oras.Target, from, to ocispec.Descriptor) {
	t.Helper()
	ctx := context.Background()
	src := tg.(source)
	var found found
	if err := bundleCandidates(ctx, src, from, nil, &found); err != nil || len(found.candidates) == 0 {
		t.Fatalf("bundleCandidates = %v, %v; want one", found, err)
	}
	refs, err := registryReferrers(ctx, src, from)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refs {
		data, err := content.FetchAll(ctx, src, r)
		if err != nil {
			t.Fatal(err)
		}
		var m ocispec.Manifest
		mustJSON(t, data, &m)
		if _, err := oras.PackManifest(ctx, tg, oras.PackManifestVersion1_1, r.ArtifactType, oras.PackManifestOptions{
			Subject: &to, Layers: m.Layers, ManifestAnnotations: m.Annotations,
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// writeLoggedSignature writes a cosign v2 signature of d with a Rekor
// bundle annotation from ca's fake log.
func writeLoggedSignature(t *testing.T, f *fixture, ref string, d digest.Digest, key *PrivateKey, pubPEM []byte, ca *testCA, extra ...string) {
	t.Helper()
	repo := ref[:strings.Index(ref, "@")]
	payload, err := simpleSigningPayload(repo, d)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := key.sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	ann := map[string]string{
		AnnotationSignature:   base64.StdEncoding.EncodeToString(sig),
		AnnotationRekorBundle: ca.rekorBundleFor(t, payload, sig, pubPEM),
	}
	for i := 0; i+1 < len(extra); i += 2 {
		ann[extra[i]] = extra[i+1]
	}
	writeSigLayer(t, f.target(t, "team/api"), d, "sig", SimpleSigningMediaType, payload, ann)
}

// Other key types, cosign-encrypted, made once on first use.
var (
	otherKeysOnce                  sync.Once
	rsaPriv, rsaPub, edPriv, edPub []byte
)

func otherKeyTypes(t *testing.T) {
	t.Helper()
	otherKeysOnce.Do(func() {
		rk, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		_, ek, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		enc := func(k any) []byte {
			der, err := cryptoutils.MarshalPrivateKeyToEncryptedDER(k, cryptoutils.StaticPasswordFunc([]byte(pw)))
			if err != nil {
				t.Fatal(err)
			}
			return cryptoutils.PEMEncode(cryptoutils.EncryptedSigstorePrivateKeyPEMType, der)
		}
		rsaPriv, edPriv = enc(rk), enc(ek)
		rsaPub, _ = cryptoutils.MarshalPublicKeyToPEM(rk.Public())
		edPub, _ = cryptoutils.MarshalPublicKeyToPEM(ek.Public())
	})
}

func TestVerifyTransportError(t *testing.T) {
	_, pub := keyPair(t, pw)
	tr := mustTrust(t, Material{Keys: []Key{{PEM: pub}}})
	// Nothing listens on port 1; one attempt keeps the test fast.
	v := NewVerifier(tr, registry.New(registry.Options{Attempts: 1}))
	_, err := v.Verify(context.Background(), Request{Ref: "127.0.0.1:1/team/api@" + digest.FromString("x").String(), Signature: true})
	if outcome.KindOf(err) != outcome.KindExternal {
		t.Errorf("Verify against a closed port: error = %v (kind %v), want an external error", err, outcome.KindOf(err))
	}
	if ReasonOf(err) != ReasonUnknown {
		t.Errorf("ReasonOf(transport error) = %s, want none", ReasonOf(err))
	}
}

func registryReferrers(ctx context.Context, src source, subject ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	return orasregistry.Referrers(ctx, src, subject, BundleMediaType)
}

func mustJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

func publicPEM(t *testing.T, privPEM []byte) []byte {
	t.Helper()
	return mustLoadKey(t, privPEM, pw).PublicKeyPEM()
}
