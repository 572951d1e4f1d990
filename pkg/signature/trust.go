package signature

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	sigsig "github.com/sigstore/sigstore/pkg/signature"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// Key is a trusted cosign public key.
type Key struct {
	// Name says where the key came from (a file name); reports show it. Empty
	// names the key by its fingerprint.
	Name string
	// PEM holds one or more PEM "PUBLIC KEY" blocks (ECDSA, RSA or Ed25519).
	PEM []byte
}

// Identity is a trusted keyless signer: a certificate subject (the SAN: an
// e-mail address or URI such as a CI workflow) and the OIDC issuer that
// vouched for it. Each half is given exactly or as a regular expression
// (unanchored, as cosign matches it); one of each is required.
type Identity struct {
	Subject       string `json:"subject,omitempty"`
	SubjectRegexp string `json:"subjectRegexp,omitempty"`
	Issuer        string `json:"issuer,omitempty"`
	IssuerRegexp  string `json:"issuerRegexp,omitempty"`
}

func (i Identity) String() string {
	s, is := i.Subject, i.Issuer
	if s == "" {
		s = "~" + i.SubjectRegexp
	}
	if is == "" {
		is = "~" + i.IssuerRegexp
	}
	return s + " (" + is + ")"
}

// Material is what signatures are checked against.
type Material struct {
	Keys       []Key
	Identities []Identity
	// TrustedRoot is a Sigstore trusted root (JSON, as `cosign trusted-root
	// create` writes it or the public-good instance publishes it): its
	// certificate authorities anchor keyless certificates, its transparency
	// logs check Rekor proofs. Required for identities and for RequireTlog.
	TrustedRoot []byte
	// RequireTlog refuses signatures without a transparency-log proof that
	// the trusted root's logs vouch for. Off, signatures made with
	// --tlog-upload=false pass and any log entries are not checked.
	RequireTlog bool
}

// IsZero reports whether no trust material was given at all.
func (m Material) IsZero() bool {
	return len(m.Keys) == 0 && len(m.Identities) == 0 && len(m.TrustedRoot) == 0
}

// trustedKey is a parsed Key.
type trustedKey struct {
	name        string
	fingerprint string
	material    root.TrustedMaterial
}

// Trust is compiled, ready-to-use trust Material. It is safe for concurrent use.
type Trust struct {
	keys        []trustedKey
	identities  verify.CertificateIdentities
	idSpecs     []Identity
	root        *root.TrustedRoot
	rootDigest  string
	requireTlog bool
	requireSCT  bool
}

// NewTrust parses and checks trust material. Bad material is outcome.Invalid
// naming what is wrong.
func NewTrust(m Material) (*Trust, error) {
	t := &Trust{requireTlog: m.RequireTlog, idSpecs: m.Identities}
	if len(m.Keys) == 0 && len(m.Identities) == 0 {
		return nil, outcome.Invalidf("no trust material: give at least one public key or keyless identity")
	}
	if len(m.TrustedRoot) > 0 {
		tr, err := root.NewTrustedRootFromJSON(m.TrustedRoot)
		if err != nil {
			return nil, outcome.Invalidf("reading trusted root: %w", err)
		}
		t.root = tr
		sum := sha256.Sum256(m.TrustedRoot)
		t.rootDigest = "sha256:" + hex.EncodeToString(sum[:])
		t.requireSCT = len(tr.CTLogs()) > 0
	}
	if len(m.Identities) > 0 && t.root == nil {
		return nil, outcome.Invalidf("keyless identities need a trusted root (trusted-root) to check certificates against")
	}
	if m.RequireTlog && (t.root == nil || len(t.root.RekorLogs()) == 0) {
		return nil, outcome.Invalidf("require-tlog needs a trusted root that lists at least one transparency log")
	}
	for i, k := range m.Keys {
		keys, err := parseKeys(k, t.root)
		if err != nil {
			name := k.Name
			if name == "" {
				name = fmt.Sprintf("key %d", i+1)
			}
			return nil, outcome.Invalidf("reading public key %s: %w", name, err)
		}
		t.keys = append(t.keys, keys...)
	}
	for i, id := range m.Identities {
		ci, err := compileIdentity(id)
		if err != nil {
			return nil, outcome.Invalidf("keyless identity %d: %w", i+1, err)
		}
		t.identities = append(t.identities, ci)
	}
	return t, nil
}

func compileIdentity(id Identity) (verify.CertificateIdentity, error) {
	if id.Subject == "" && id.SubjectRegexp == "" {
		return verify.CertificateIdentity{}, fmt.Errorf("a certificate identity (exact or regexp) is required")
	}
	if id.Issuer == "" && id.IssuerRegexp == "" {
		return verify.CertificateIdentity{}, fmt.Errorf("an OIDC issuer (exact or regexp) is required")
	}
	ci, err := verify.NewShortCertificateIdentity(id.Issuer, id.IssuerRegexp, id.Subject, id.SubjectRegexp)
	if err != nil {
		return verify.CertificateIdentity{}, err
	}
	return ci, nil
}

// parseKeys reads every PUBLIC KEY block of k.
func parseKeys(k Key, tr *root.TrustedRoot) ([]trustedKey, error) {
	rest := k.PEM
	var out []trustedKey
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != string(cryptoutils.PublicKeyPEMType) {
			if strings.Contains(block.Type, "PRIVATE KEY") {
				return nil, fmt.Errorf("it is a private key (%s); give the public key", block.Type)
			}
			return nil, fmt.Errorf("unexpected PEM block %q (want PUBLIC KEY)", block.Type)
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing public key: %w", err)
		}
		// cosign signs with SHA-256 for ECDSA and RSA (PKCS#1 v1.5) and
		// with pure Ed25519; LoadVerifier picks exactly these.
		v, err := sigsig.LoadVerifier(pub, crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("unsupported public key: %w", err)
		}
		sum := sha256.Sum256(block.Bytes)
		fp := "sha256:" + hex.EncodeToString(sum[:])
		name := k.Name
		if name == "" {
			name = fp[:len("sha256:")+16]
		}
		expiring := root.NewExpiringKey(v, time.Time{}, time.Time{})
		var mat root.TrustedMaterial = root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
			return expiring, nil
		})
		if tr != nil {
			// The trusted root supplies the transparency logs.
			mat = root.TrustedMaterialCollection{mat, tr}
		}
		out = append(out, trustedKey{name: name, fingerprint: fp, material: mat})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no PEM PUBLIC KEY block found")
	}
	return out, nil
}

// Summary describes trust material for reports.
type Summary struct {
	Keys        []KeySummary `json:"keys,omitempty"`
	Identities  []Identity   `json:"identities,omitempty"`
	TrustedRoot string       `json:"trustedRoot,omitempty"` // sha256 of the JSON
	RequireTlog bool         `json:"requireTlog"`
}

// KeySummary names a trusted key.
type KeySummary struct {
	Name        string `json:"name"`
	Fingerprint string `json:"fingerprint"` // sha256 of the DER public key
}

// Summary says what this Trust accepts.
func (t *Trust) Summary() Summary {
	s := Summary{Identities: t.idSpecs, TrustedRoot: t.rootDigest, RequireTlog: t.requireTlog}
	for _, k := range t.keys {
		s.Keys = append(s.Keys, KeySummary{Name: k.name, Fingerprint: k.fingerprint})
	}
	return s
}
