package signature

import (
	"strings"
	"testing"

	"github.com/aviary-cd/aviary/pkg/outcome"
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
