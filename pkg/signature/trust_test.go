package signature

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/signature/trustinput"
)

func TestNewTrust(t *testing.T) {
	priv, pub := keyPair(t, pw)
	root := newTestCA(t).trustedRoot(t)
	id := Identity{Subject: "ci@example.com", Issuer: "https://issuer.example"}
	tests := []struct {
		name string
		m    Material
		want string // substring of the Invalid error; "" for success
	}{
		{"key", Material{Keys: []Key{{PEM: pub}}}, ""},
		{"two keys in one PEM", Material{Keys: []Key{{PEM: append(append([]byte{}, pub...), pub...)}}}, ""},
		{"identity with root", Material{Identities: []Identity{id}, TrustedRoot: root}, ""},
		{"key and tlog with root", Material{Keys: []Key{{PEM: pub}}, TrustedRoot: root, RequireTlog: true}, ""},
		{"nothing", Material{}, "no trust material"},
		{"identity without root", Material{Identities: []Identity{id}}, "need a trusted root"},
		{"tlog without root", Material{Keys: []Key{{PEM: pub}}, RequireTlog: true}, "require-tlog needs a trusted root"},
		{"private key", Material{Keys: []Key{{Name: "cosign.key", PEM: priv}}}, "cosign.key: it is a private key"},
		{"not PEM", Material{Keys: []Key{{Name: "k", PEM: []byte("hello")}}}, "k: no PEM PUBLIC KEY block"},
		{"bad root", Material{Keys: []Key{{PEM: pub}}, TrustedRoot: []byte("{")}, "reading trusted root"},
		{"identity without issuer", Material{Identities: []Identity{{Subject: "a"}}, TrustedRoot: root}, "OIDC issuer"},
		{"bad regexp", Material{Identities: []Identity{{SubjectRegexp: "(", Issuer: "x"}}, TrustedRoot: root}, "keyless identity 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := NewTrust(tt.m)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("NewTrust = %v, want nil", err)
				}
				if len(tr.Summary().Keys)+len(tr.Summary().Identities) == 0 {
					t.Errorf("Summary() = %+v, want the material", tr.Summary())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || outcome.KindOf(err) != outcome.KindInvalid {
				t.Errorf("NewTrust = %v, want an invalid error containing %q", err, tt.want)
			}
		})
	}
}

func TestReasonText(t *testing.T) {
	for r := range reasonNames {
		b, _ := r.MarshalText()
		var back Reason
		if err := back.UnmarshalText(b); err != nil || back != r {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", b, back, err, r)
		}
	}
	var r Reason
	if err := r.UnmarshalText([]byte("nope")); err == nil {
		t.Error("UnmarshalText(nope) = nil error, want one")
	}
	err := refuse(WrongDigestClaim, "r@sha256:x", "claims %s", "y")
	if ReasonOf(err) != WrongDigestClaim || outcome.KindOf(err) != outcome.KindNegative || err.Error() != "r@sha256:x: claims y" {
		t.Errorf("refuse(...) = %v (reason %v, kind %v), want a negative wrong-digest-claim", err, ReasonOf(err), outcome.KindOf(err))
	}
}

// fakeInputs answers like a step session.
type fakeInputs map[string]string

func (f fakeInputs) String(name string) string { return f[name] }
func (f fakeInputs) Bool(name string) bool     { return f[name] == "true" }

func TestFromInputs(t *testing.T) {
	_, pub := keyPair(t, pw)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "release.pub")
	if err := os.WriteFile(keyFile, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	policyFile := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policyFile, []byte("apiVersion: aviary.dev/v1\nkind: VerificationPolicy\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rootFile := filepath.Join(dir, "root.json")
	if err := os.WriteFile(rootFile, newTestCA(t).trustedRoot(t), 0o600); err != nil {
		t.Fatal(err)
	}
	m, pol, err := FromInputs(fakeInputs{
		trustinput.Key: keyFile, trustinput.Identity: "ci@example.com", trustinput.IssuerRegexp: "^https://",
		trustinput.RequireTlog: "true", trustinput.Policy: policyFile, trustinput.TrustedRoot: rootFile,
	})
	if err != nil {
		t.Fatalf("FromInputs: %v", err)
	}
	if len(m.Keys) != 1 || m.Keys[0].Name != "release.pub" || !m.RequireTlog || pol == nil ||
		len(m.Identities) != 1 || m.Identities[0] != (Identity{Subject: "ci@example.com", IssuerRegexp: "^https://"}) {
		t.Errorf("FromInputs = %+v, %v; want the key file, the identity, require-tlog and the policy", m, pol)
	}
	if !Enabled(fakeInputs{trustinput.Key: keyFile}) || Enabled(fakeInputs{}) {
		t.Error("Enabled: want true with a key and false with nothing")
	}
	garbage := filepath.Join(dir, "garbage.pub")
	if err := os.WriteFile(garbage, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	private, _ := keyPair(t, pw)
	unsignedPlans := filepath.Join(dir, "unsigned.yaml")
	if err := os.WriteFile(unsignedPlans, []byte("apiVersion: aviary.dev/v1\nkind: VerificationPolicy\nplan: {requireSignature: false}\nimages: {requireSignature: false}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Everything FromInputs can tell is wrong, it tells without a network
	// call: unreadable files, and material NewTrust refuses.
	for _, tt := range []struct {
		in   fakeInputs
		want string
	}{
		{fakeInputs{trustinput.Key: filepath.Join(dir, "missing.pub")}, "reading"},
		{fakeInputs{trustinput.Issuer: "https://x"}, "is required with an OIDC issuer"},
		{fakeInputs{trustinput.TrustedRoot: filepath.Join(dir, "missing.json")}, "reading"},
		{fakeInputs{trustinput.Key: garbage}, "reading public key garbage.pub: no PEM PUBLIC KEY block found"},
		{fakeInputs{trustinput.Key: string(private)}, "give the public key"},
		{fakeInputs{trustinput.Identity: "ci@example.com", trustinput.Issuer: "https://x"}, "need a trusted root"},
		{fakeInputs{trustinput.Key: keyFile, trustinput.RequireTlog: "true"}, "require-tlog needs a trusted root"},
		{fakeInputs{trustinput.Key: keyFile, trustinput.TrustedRoot: garbage}, "reading trusted root"},
		{fakeInputs{trustinput.Policy: policyFile}, "no trust material"},
	} {
		if _, _, err := FromInputs(tt.in); outcome.KindOf(err) != outcome.KindInvalid || !strings.Contains(fmt.Sprint(err), tt.want) {
			t.Errorf("FromInputs(%v) = %v, want invalid saying %q", tt.in, err, tt.want)
		}
	}
	if _, _, err := FromInputs(fakeInputs{trustinput.Policy: unsignedPlans}); err != nil {
		t.Errorf("FromInputs(a policy requiring no signature, no material) = %v, want nil", err)
	}
	// PEM text is taken as is, several blocks included; paths may be
	// listed.
	_, pub2 := keyPair(t, pw)
	m, _, err = FromInputs(fakeInputs{trustinput.Key: string(pub) + string(pub2)})
	if err != nil || len(m.Keys) != 1 || m.Keys[0].Name != "" {
		t.Errorf("FromInputs(PEM value) = %+v, %v; want one unnamed key value", m, err)
	}
	if tr, err := NewTrust(m); err != nil || len(tr.Summary().Keys) != 2 {
		t.Errorf("NewTrust(two PEM blocks) = %v, want two keys", err)
	}
	m, _, err = FromInputs(fakeInputs{trustinput.Key: keyFile + ",\n " + keyFile + "\n"})
	if err != nil || len(m.Keys) != 2 {
		t.Errorf("FromInputs(two paths) = %+v, %v; want two keys", m, err)
	}
}
