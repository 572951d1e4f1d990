package trust_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/signature"
	"github.com/aviary-cd/aviary/steps/internal/trust"
)

// inputs answers like a step session.
type inputs map[string]string

func (f inputs) String(name string) string { return f[name] }
func (f inputs) Bool(name string) bool     { return f[name] == "true" }

func publicKey(t *testing.T) []byte {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func TestRead(t *testing.T) {
	pub := publicKey(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "release.pub")
	if err := os.WriteFile(keyFile, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	policyFile := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policyFile, []byte("apiVersion: aviary.dev/v1\nkind: VerificationPolicy\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, pol, err := trust.Read(inputs{catalog.InputKey: keyFile, catalog.InputPolicy: policyFile})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if len(m.Keys) != 1 || m.Keys[0].Name != "release.pub" || pol == nil {
		t.Errorf("Read = %+v, %v; want the key file and the policy", m, pol)
	}
	// The material is parsed before any network call: an identity and
	// require-tlog need a trusted root, and are refused without one.
	m, _, err = trust.Read(inputs{
		catalog.InputKey: keyFile, catalog.InputIdentity: "ci@example.com", catalog.InputIssuerRegexp: "^https://",
		catalog.InputRequireTlog: "true",
	})
	if outcome.KindOf(err) != outcome.KindInvalid || !m.RequireTlog ||
		len(m.Identities) != 1 || m.Identities[0] != (signature.Identity{Subject: "ci@example.com", IssuerRegexp: "^https://"}) {
		t.Errorf("Read(identity, require-tlog, no root) = %+v, %v; want the identity and require-tlog read, and invalid", m, err)
	}
	garbage := filepath.Join(dir, "garbage.pub")
	if err := os.WriteFile(garbage, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if !trust.Enabled(inputs{catalog.InputKey: keyFile}) || trust.Enabled(inputs{}) {
		t.Error("Enabled: want true with a key and false with nothing")
	}
	for _, in := range []inputs{
		{catalog.InputKey: filepath.Join(dir, "missing.pub")},
		{catalog.InputIssuer: "https://x"},
		{catalog.InputTrustedRoot: filepath.Join(dir, "missing.json")},
		{catalog.InputKey: garbage},
		{catalog.InputPolicy: policyFile},
	} {
		if _, _, err := trust.Read(in); outcome.KindOf(err) != outcome.KindInvalid {
			t.Errorf("Read(%v) = %v, want invalid", in, err)
		}
	}
	// PEM text is taken as is, several blocks included; paths may be
	// listed.
	m, _, err = trust.Read(inputs{catalog.InputKey: string(pub) + string(publicKey(t))})
	if err != nil || len(m.Keys) != 1 || m.Keys[0].Name != "" {
		t.Errorf("Read(PEM value) = %+v, %v; want one unnamed key value", m, err)
	}
	if tr, err := signature.NewTrust(m); err != nil || len(tr.Summary().Keys) != 2 {
		t.Errorf("NewTrust(two PEM blocks) = %v, want two keys", err)
	}
	m, _, err = trust.Read(inputs{catalog.InputKey: keyFile + ",\n " + keyFile + "\n"})
	if err != nil || len(m.Keys) != 2 {
		t.Errorf("Read(two paths) = %+v, %v; want two keys", m, err)
	}
}
