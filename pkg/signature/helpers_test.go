package signature

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/aviary-cd/aviary/internal/devenv"
	"github.com/aviary-cd/aviary/pkg/registry"
)

// env is a real Distribution registry and a client for it.
type env struct {
	host   string
	client *registry.Client
}

func newEnv(t testing.TB) *env {
	t.Helper()
	r := devenv.StartRegistry(t, devenv.RegistryOptions{})
	return &env{host: r.Host, client: registry.New(registry.Options{})}
}

func (e *env) target(t testing.TB, repo string) oras.Target {
	t.Helper()
	ref, err := registry.ParseReference(e.host + "/" + repo)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := e.client.Target(context.Background(), ref, false)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// pushImage pushes a small image whose content depends on seed, tags it and
// returns its reference by digest and its descriptor.
func (e *env) pushImage(t testing.TB, repo, tag, seed string) (string, ocispec.Descriptor) {
	t.Helper()
	ctx := context.Background()
	tg := e.target(t, repo)
	layer := []byte("layer of " + seed)
	ld, err := oras.PushBytes(ctx, tg, ocispec.MediaTypeImageLayer, layer)
	if err != nil {
		t.Fatalf("pushing layer: %v", err)
	}
	cfg := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]}}`, ld.Digest))
	cd, err := oras.PushBytes(ctx, tg, ocispec.MediaTypeImageConfig, cfg)
	if err != nil {
		t.Fatalf("pushing config: %v", err)
	}
	m, _ := json.Marshal(ocispec.Manifest{
		Versioned: specsV2, MediaType: ocispec.MediaTypeImageManifest, Config: cd, Layers: []ocispec.Descriptor{ld},
	})
	md, err := oras.TagBytes(ctx, tg, ocispec.MediaTypeImageManifest, m, tag)
	if err != nil {
		t.Fatalf("pushing manifest: %v", err)
	}
	return e.host + "/" + repo + "@" + md.Digest.String(), md
}

// keyPair generates a cosign-style key pair: an ENCRYPTED SIGSTORE PRIVATE
// KEY (scrypt + secretbox) and its PEM public key.
func keyPair(t testing.TB, password string) (priv, pub []byte) {
	t.Helper()
	priv, pub, err := cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), cryptoutils.StaticPasswordFunc([]byte(password)))
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

func mustTrust(t testing.TB, m Material) *Trust {
	t.Helper()
	tr, err := NewTrust(m)
	if err != nil {
		t.Fatalf("NewTrust: %v", err)
	}
	return tr
}

// Fulcio's certificate extensions.
var (
	oidIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
)

// testCA is a local certificate authority issuing Fulcio-style code-signing
// certificates, with an offline trusted root listing it (and a fake Rekor
// log whose key signs inclusion promises).
type testCA struct {
	rootCert, interCert *x509.Certificate
	interKey            *ecdsa.PrivateKey
	rekorKey            *ecdsa.PrivateKey
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	interKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rekorKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	notBefore := time.Now().Add(-time.Hour)
	rootTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "aviary test root", Organization: []string{"aviary-test"}},
		NotBefore: notBefore, NotAfter: notBefore.Add(48 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(rootDER)
	interTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "aviary test intermediate", Organization: []string{"aviary-test"}},
		NotBefore: notBefore, NotAfter: notBefore.Add(48 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	interDER, err := x509.CreateCertificate(rand.Reader, interTmpl, root, &interKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	inter, _ := x509.ParseCertificate(interDER)
	return &testCA{rootCert: root, interCert: inter, interKey: interKey, rekorKey: rekorKey}
}

// issue returns a signing key (cosign-encrypted PEM with password) and a
// leaf certificate (PEM) for identity (an e-mail address or a URI) vouched
// for by issuer, plus the chain (intermediate, root) in PEM.
func (ca *testCA) issue(t testing.TB, identity, issuer, password string) (keyPEM, certPEM, chainPEM []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	v2, _ := asn1.Marshal(issuer)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		NotBefore:    time.Now().Add(-10 * time.Minute), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: []pkix.Extension{
			{Id: oidIssuerV1, Value: []byte(issuer)},
			{Id: oidIssuerV2, Value: v2},
		},
	}
	if u, err := url.Parse(identity); err == nil && u.Scheme != "" {
		tmpl.URIs = []*url.URL{u}
	} else {
		tmpl.EmailAddresses = []string{identity}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.interCert, &key.PublicKey, ca.interKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := cryptoutils.MarshalPrivateKeyToEncryptedDER(key, cryptoutils.StaticPasswordFunc([]byte(password)))
	if err != nil {
		t.Fatal(err)
	}
	keyPEM = cryptoutils.PEMEncode(cryptoutils.EncryptedSigstorePrivateKeyPEMType, keyDER)
	certPEM = cryptoutils.PEMEncode(cryptoutils.CertificatePEMType, der)
	chainPEM = append(cryptoutils.PEMEncode(cryptoutils.CertificatePEMType, ca.interCert.Raw),
		cryptoutils.PEMEncode(cryptoutils.CertificatePEMType, ca.rootCert.Raw)...)
	return keyPEM, certPEM, chainPEM
}

// trustedRoot is the Sigstore trusted root JSON listing the CA and the fake
// Rekor log.
func (ca *testCA) trustedRoot(t testing.TB) []byte {
	t.Helper()
	rekorDER, _ := x509.MarshalPKIXPublicKey(&ca.rekorKey.PublicKey)
	logID := sha256.Sum256(rekorDER)
	start := ca.rootCert.NotBefore.UTC().Format(time.RFC3339)
	b64 := base64.StdEncoding.EncodeToString
	tr := map[string]any{
		"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
		"tlogs": []any{map[string]any{
			"baseUrl":       "https://rekor.aviary.test",
			"hashAlgorithm": "SHA2_256",
			"publicKey":     map[string]any{"rawBytes": b64(rekorDER), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": map[string]any{"start": start}},
			"logId":         map[string]any{"keyId": b64(logID[:])},
		}},
		"certificateAuthorities": []any{map[string]any{
			"subject":   map[string]any{"organization": "aviary-test", "commonName": "aviary test"},
			"uri":       "https://ca.aviary.test",
			"certChain": map[string]any{"certificates": []any{map[string]any{"rawBytes": b64(ca.interCert.Raw)}, map[string]any{"rawBytes": b64(ca.rootCert.Raw)}}},
			"validFor":  map[string]any{"start": start},
		}},
		"ctlogs":               []any{},
		"timestampAuthorities": []any{},
	}
	data, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// rekorBundleFor fabricates the dev.sigstore.cosign/bundle annotation a
// Rekor log would have returned for a hashedrekord of payload signed with
// sig by the key (or certificate) in pubPEM, signed by the fake log key.
func (ca *testCA) rekorBundleFor(t testing.TB, payload, sig, pubPEM []byte) string {
	t.Helper()
	sum := sha256.Sum256(payload)
	body, _ := json.Marshal(map[string]any{
		"apiVersion": "0.0.1", "kind": "hashedrekord",
		"spec": map[string]any{
			"data":      map[string]any{"hash": map[string]any{"algorithm": "sha256", "value": hex.EncodeToString(sum[:])}},
			"signature": map[string]any{"content": base64.StdEncoding.EncodeToString(sig), "publicKey": map[string]any{"content": base64.StdEncoding.EncodeToString(pubPEM)}},
		},
	})
	rekorDER, _ := x509.MarshalPKIXPublicKey(&ca.rekorKey.PublicKey)
	logID := sha256.Sum256(rekorDER)
	integrated := time.Now().Unix()
	// The SET signs the canonical JSON of the payload (keys sorted, no
	// spaces), which json.Marshal of a map produces for these values.
	canon, _ := json.Marshal(map[string]any{
		"body": base64.StdEncoding.EncodeToString(body), "integratedTime": integrated, "logIndex": 7, "logID": hex.EncodeToString(logID[:]),
	})
	h := sha256.Sum256(canon)
	set, err := ecdsa.SignASN1(rand.Reader, ca.rekorKey, h[:])
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{
		"SignedEntryTimestamp": base64.StdEncoding.EncodeToString(set),
		"Payload": map[string]any{
			"body": base64.StdEncoding.EncodeToString(body), "integratedTime": integrated, "logIndex": 7, "logID": hex.EncodeToString(logID[:]),
		},
	})
	return string(out)
}

// writeSigLayer writes a cosign v2 signature tag for subject holding one
// layer with the given payload and annotations (replacing the tag).
func writeSigLayer(t testing.TB, tg oras.Target, subject digest.Digest, suffix, mediaType string, blob []byte, ann map[string]string) {
	t.Helper()
	ctx := context.Background()
	l := content.NewDescriptorFromBytes(mediaType, blob)
	l.Annotations = ann
	if err := pushBlob(ctx, tg, l, blob); err != nil {
		t.Fatal(err)
	}
	cfg := []byte(`{"rootfs":{"type":"layers","diff_ids":[]}}`)
	cd := content.NewDescriptorFromBytes(ocispec.MediaTypeImageConfig, cfg)
	if err := pushBlob(ctx, tg, cd, cfg); err != nil {
		t.Fatal(err)
	}
	m, _ := json.Marshal(ocispec.Manifest{Versioned: specsV2, MediaType: ocispec.MediaTypeImageManifest, Config: cd, Layers: []ocispec.Descriptor{l}})
	if _, err := oras.TagBytes(ctx, tg, ocispec.MediaTypeImageManifest, m, cosignTag(subject, suffix)); err != nil {
		t.Fatal(err)
	}
}

// attest writes a cosign v2 attestation (.att tag, DSSE envelope of an
// in-toto statement) of predicateType about subject, signed by key.
func attest(t testing.TB, tg oras.Target, subject digest.Digest, key *PrivateKey, predicateType string) {
	t.Helper()
	desc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: subject}
	pred := []byte(`{"builder":{"id":"https://ci.example/builder"}}`)
	if _, err := Attest(context.Background(), tg, desc, key, predicateType, pred, SignOptions{}); err != nil {
		t.Fatalf("Attest: %v", err)
	}
}

func mustLoadKey(t testing.TB, pemBytes []byte, password string) *PrivateKey {
	t.Helper()
	k, err := LoadPrivateKey(pemBytes, []byte(password))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var specsV2 = specs.Versioned{SchemaVersion: 2}
