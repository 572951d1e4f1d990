package signature

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
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

type fixture struct {
	*env
	key, otherKey   *PrivateKey
	priv, otherPriv []byte
	pub, otherPub   []byte
	ca, otherCA     *testCA
	n               int
	// trustedPEM is the public key of the last key certified for a case
	// (certifiedKeyTrust trusts it).
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

// The identity and issuer keyless certificates name unless a case says
// otherwise, and the only ones keylessTrust accepts.
const (
	ciIdentity = "ci@example.com"
	ciIssuer   = "https://issuer.example"
)

// signWith says who signs a TestVerify image.
type signWith int

const (
	unsigned        signWith = iota
	withTrustedKey           // the key trusted.pub holds
	withOtherKey             // a key no default trust holds
	withRSAKey               // an RSA key (rsaTrust)
	withEd25519Key           // an Ed25519 key (ed25519Trust)
	withCertificate          // a key certified by the trusted CA for identity and issuer
	withOtherCA              // the same, certified by a CA nobody trusts
)

// logWith says which fake transparency log records the signature, if any.
type logWith int

const (
	noLog        logWith = iota
	trustedLog           // the trusted root's log
	untrustedLog         // a log the trusted root does not hold
)

// tamper is what an attacker did to the image or how the request names it.
type tamper int

const (
	untouched       tamper = iota
	copiedSignature        // another image's signature tag, re-tagged for this one
	copiedBundle           // another image's bundle referrers, attached to this one
	movedTag               // the signed image's tag now names new content, which is asked for
	askByTag               // the request names a tag, not a digest
	askMissing             // the request names a digest the registry lacks
)

// trustSet is the trust material a case verifies with.
type trustSet int

const (
	keyTrust           trustSet = iota // trusted.pub
	keyTlogTrust                       // trusted.pub and the trusted root, a log proof required
	rsaTrust                           // the RSA key, unnamed
	ed25519Trust                       // the Ed25519 key, unnamed
	twoKeysTrust                       // a.pub (the trusted key) and b.pub (the other key)
	keylessTrust                       // the trusted root, ciIdentity from ciIssuer
	keylessTlogTrust                   // the same, a log proof required
	keylessRegexpTrust                 // the trusted root, identities under https://ci.example/org/
	certifiedKeyTrust                  // leaf.pub: the last certified key, as a plain key
)

func (ts trustSet) material(t *testing.T, f *fixture) Material {
	trusted := []Key{{Name: "trusted.pub", PEM: f.pub}}
	keylessRoot := Material{TrustedRoot: f.ca.trustedRoot(t), Identities: []Identity{{Subject: ciIdentity, Issuer: ciIssuer}}}
	switch ts {
	case keyTlogTrust:
		return Material{Keys: trusted, TrustedRoot: f.ca.trustedRoot(t), RequireTlog: true}
	case rsaTrust:
		return Material{Keys: []Key{{PEM: rsaPub}}}
	case ed25519Trust:
		return Material{Keys: []Key{{PEM: edPub}}}
	case twoKeysTrust:
		return Material{Keys: []Key{{Name: "a.pub", PEM: f.pub}, {Name: "b.pub", PEM: f.otherPub}}}
	case keylessTrust:
		return keylessRoot
	case keylessTlogTrust:
		keylessRoot.RequireTlog = true
		return keylessRoot
	case keylessRegexpTrust:
		return Material{TrustedRoot: f.ca.trustedRoot(t), Identities: []Identity{{SubjectRegexp: `^https://ci\.example/org/.*$`, IssuerRegexp: `^https://issuer\.`}}}
	case certifiedKeyTrust:
		return Material{Keys: []Key{{Name: "leaf.pub", PEM: f.trustedPEM}}}
	}
	return Material{Keys: trusted}
}

// verifyCase is one row of TestVerify: how an image is signed, attested
// and tampered with, what is trusted and asked for, and the answer.
type verifyCase struct {
	name string

	sign             signWith
	identity, issuer string // withCertificate: the certificate's; default ciIdentity, ciIssuer
	bundle, noTag    bool   // SignOptions: a bundle referrer; no signature tag
	log              logWith
	attest           string   // a predicate type attested, by the trusted key ...
	attestBy         signWith // ... or by withOtherKey
	tamper           tamper

	trust      trustSet
	ask        []string // the attestations the request requires
	askNothing bool     // the request requires no signature

	want     Reason  // the single failure's reason; ReasonUnknown: a pass
	signer   *Signer // a pass: Result.Signer
	attested []string
}

func TestVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real local registry")
	}
	e := newEnv(t)
	priv, pub := keyPair(t, pw)
	otherPriv, otherPub := keyPair(t, pw)
	f := &fixture{env: e, priv: priv, otherPriv: otherPriv, pub: pub, otherPub: otherPub, ca: newTestCA(t), otherCA: newTestCA(t)}
	f.key, f.otherKey = mustLoadKey(t, priv, pw), mustLoadKey(t, otherPriv, pw)
	otherKeyTypes(t)
	byTrustedKey := func(format Format) *Signer { return &Signer{Format: format, Key: "trusted.pub"} }
	byCI := func(format Format) *Signer { return &Signer{Format: format, Identity: ciIdentity, Issuer: ciIssuer} }

	tests := []verifyCase{
		{name: "signed tag", sign: withTrustedKey, signer: byTrustedKey(FormatCosignTag)},
		{name: "signed bundle referrer only", sign: withTrustedKey, bundle: true, noTag: true, signer: byTrustedKey(FormatBundle)},
		{name: "unsigned", want: Unsigned},
		{name: "signed by an unknown key", sign: withOtherKey, bundle: true, want: UnknownKey},
		{name: "signature copied from another image", sign: withTrustedKey, tamper: copiedSignature, want: WrongDigestClaim},
		{name: "bundle copied from another image", sign: withTrustedKey, bundle: true, noTag: true, tamper: copiedBundle, want: WrongDigestClaim},
		{name: "tag instead of digest", tamper: askByTag, want: TagNotDigest},
		{name: "not found", tamper: askMissing, want: NotFound},
		{name: "tampered tag: the new digest is unsigned", sign: withTrustedKey, tamper: movedTag, want: Unsigned},
		{name: "require tlog, signed without log entry", sign: withTrustedKey, trust: keyTlogTrust, want: NoTlogProof},
		{name: "require tlog, with a verified log entry", sign: withTrustedKey, log: trustedLog, trust: keyTlogTrust,
			signer: &Signer{Format: FormatCosignTag, Key: "trusted.pub", Tlog: true}},
		{name: "require tlog, log entry from an untrusted log", sign: withTrustedKey, log: untrustedLog, trust: keyTlogTrust, want: NoTlogProof},
		{name: "rsa key", sign: withRSAKey, bundle: true, trust: rsaTrust, signer: &Signer{Format: FormatCosignTag, Key: shortFingerprint(t, rsaPub)}},
		{name: "ed25519 key", sign: withEd25519Key, bundle: true, trust: ed25519Trust, signer: &Signer{Format: FormatCosignTag, Key: shortFingerprint(t, edPub)}},
		{name: "second of two trusted keys", sign: withOtherKey, trust: twoKeysTrust, signer: &Signer{Format: FormatCosignTag, Key: "b.pub"}},
		{name: "keyless tag", sign: withCertificate, trust: keylessTrust, signer: byCI(FormatCosignTag)},
		{name: "keyless bundle", sign: withCertificate, bundle: true, noTag: true, trust: keylessTrust, signer: byCI(FormatBundle)},
		{name: "keyless, require tlog, with a verified log entry", sign: withCertificate, log: trustedLog, trust: keylessTlogTrust,
			signer: &Signer{Format: FormatCosignTag, Identity: ciIdentity, Issuer: ciIssuer, Tlog: true}},
		{name: "keyless, require tlog, without a log entry", sign: withCertificate, trust: keylessTlogTrust, want: NoTlogProof},
		{name: "keyless identity regexp", sign: withCertificate, identity: "https://ci.example/org/repo/.ci/release.yml@refs/heads/main", trust: keylessRegexpTrust,
			signer: &Signer{Format: FormatCosignTag, Identity: "https://ci.example/org/repo/.ci/release.yml@refs/heads/main", Issuer: ciIssuer}},
		{name: "keyless identity mismatch", sign: withCertificate, identity: "mallory@example.com", trust: keylessTrust, want: IdentityMismatch},
		{name: "keyless issuer mismatch", sign: withCertificate, issuer: "https://evil.example", bundle: true, noTag: true, trust: keylessTrust, want: IssuerMismatch},
		{name: "keyless from an untrusted CA", sign: withOtherCA, trust: keylessTrust, want: UnknownKey},
		{name: "keyless while only keys are trusted", sign: withCertificate, want: UnknownKey},
		{name: "certificate for a trusted key, only keys trusted", sign: withCertificate, trust: certifiedKeyTrust, signer: &Signer{Format: FormatCosignTag, Key: "leaf.pub"}},
		{name: "attestation present", sign: withTrustedKey, attest: slsa, ask: []string{slsa}, signer: byTrustedKey(FormatCosignTag), attested: []string{slsa}},
		{name: "attestation missing", sign: withTrustedKey, bundle: true, ask: []string{slsa}, want: MissingAttestation},
		{name: "attestation of another predicate type", sign: withTrustedKey, attest: "https://spdx.dev/Document", ask: []string{slsa}, want: MissingAttestation},
		{name: "attestation by an unknown key", sign: withTrustedKey, attest: slsa, attestBy: withOtherKey, ask: []string{slsa}, want: MissingAttestation},
		{name: "nothing required", askNothing: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := f.prepare(t, tt)
			res, err := NewVerifier(mustTrust(t, tt.trust.material(t, f)), f.client).Verify(context.Background(), req)
			if err != nil {
				t.Fatalf("Verify(%s) error = %v, want a result", req.Ref, err)
			}
			if tt.want != ReasonUnknown {
				if len(res.Failures) != 1 {
					t.Fatalf("Verify(%s) failures = %v, want one of reason %s", req.Ref, res.Failures, tt.want)
				}
				if got := res.Failures[0].Reason; got != tt.want {
					t.Errorf("Verify(%s) reason = %s (%v), want %s", req.Ref, got, res.Failures[0], tt.want)
				}
				return
			}
			if !res.OK() {
				t.Fatalf("Verify(%s) failures = %v, want none", req.Ref, res.Failures)
			}
			if diff := cmp.Diff(tt.signer, res.Signer); diff != "" {
				t.Errorf("Verify(%s) signer (-want +got):\n%s", req.Ref, diff)
			}
			var attested []string
			for _, a := range res.Attestations {
				attested = append(attested, a.PredicateType)
			}
			if diff := cmp.Diff(tt.attested, attested); diff != "" {
				t.Errorf("Verify(%s) attestations (-want +got):\n%s", req.Ref, diff)
			}
		})
	}
}

// shortFingerprint is how a result names an unnamed trusted key: sha256:
// and the first 16 hex digits of the SHA-256 of its DER form.
func shortFingerprint(t *testing.T, pubPEM []byte) string {
	t.Helper()
	block, _ := pem.Decode(pubPEM)
	if block == nil {
		t.Fatalf("no PEM block in %q", pubPEM)
	}
	sum := sha256.Sum256(block.Bytes)
	return "sha256:" + hex.EncodeToString(sum[:])[:16]
}

// or is s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// prepare pushes and signs the image of c, tampers with it as c says and
// returns the request to verify.
func (f *fixture) prepare(t *testing.T, c verifyCase) Request {
	t.Helper()
	req := Request{Signature: !c.askNothing, Attestations: c.ask}
	switch c.tamper {
	case askMissing:
		req.Ref = f.host + "/team/api@" + digest.FromString("nothing").String()
		return req
	case movedTag:
		ref, desc := f.pushImage(t, "team/web", "1.0", "original")
		f.signAs(t, ref, desc.Digest, c)
		req.Ref, _ = f.pushImage(t, "team/web", "1.0", "tampered")
		return req
	}
	ref, desc := f.image(t, c.name)
	req.Ref = ref
	switch c.tamper {
	case askByTag:
		req.Ref = f.host + "/team/api:latest"
	case copiedSignature:
		otherRef, otherDesc := f.image(t, c.name+" (other)")
		f.signAs(t, otherRef, otherDesc.Digest, c)
		tg := f.target(t, "team/api")
		sigDesc, err := tg.Resolve(context.Background(), cosignTag(otherDesc.Digest, "sig"))
		if err != nil {
			t.Fatal(err)
		}
		if err := tg.Tag(context.Background(), sigDesc, cosignTag(desc.Digest, "sig")); err != nil {
			t.Fatal(err)
		}
	case copiedBundle:
		otherRef, otherDesc := f.image(t, c.name+" (other)")
		f.signAs(t, otherRef, otherDesc.Digest, c)
		copyBundles(t, f.target(t, "team/api"), otherDesc, desc)
	default:
		f.signAs(t, ref, desc.Digest, c)
	}
	if c.attest != "" {
		key := f.key
		if c.attestBy == withOtherKey {
			key = f.otherKey
		}
		attest(t, f.target(t, "team/api"), desc.Digest, key, c.attest)
	}
	return req
}

// signAs signs the image ref (of digest d) as c says: with a key or a
// certificate, through SignArtifact, or as a logged cosign v2 signature.
func (f *fixture) signAs(t *testing.T, ref string, d digest.Digest, c verifyCase) {
	t.Helper()
	opts := SignOptions{Bundle: c.bundle, NoTag: c.noTag}
	var keyPEM, pubPEM []byte
	var extra []string
	switch c.sign {
	case unsigned:
		return
	case withTrustedKey:
		keyPEM = f.priv
	case withOtherKey:
		keyPEM = f.otherPriv
	case withRSAKey:
		keyPEM = rsaPriv
	case withEd25519Key:
		keyPEM = edPriv
	case withCertificate, withOtherCA:
		ca := f.ca
		if c.sign == withOtherCA {
			ca = f.otherCA
		}
		identity, issuer := or(c.identity, ciIdentity), or(c.issuer, ciIssuer)
		k, cert, chain := ca.issue(t, identity, issuer, pw)
		keyPEM, pubPEM = k, cert
		opts.Certificate, opts.Chain = cert, chain
		extra = []string{AnnotationCertificate, string(cert), AnnotationChain, string(chain)}
		f.trustedPEM = publicPEM(t, k)
	}
	if c.log == noLog {
		f.sign(t, ref, keyPEM, opts)
		return
	}
	key := mustLoadKey(t, keyPEM, pw)
	if pubPEM == nil {
		pubPEM = key.PublicKeyPEM()
	}
	log := f.ca
	if c.log == untrustedLog {
		log = f.otherCA
	}
	writeLoggedSignature(t, f, ref, d, key, pubPEM, log, extra...)
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
