package scripttest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"

	"github.com/rogpeppe/go-internal/testscript"
)

// Genkey is the genkey command:
//
//	genkey [-env NAME] PRIVATE [PUBLIC]
//
// writes a fresh ECDSA P-256 key, which cosign accepts: the private key
// unencrypted as PKCS#8 PEM, and its public key as PKIX PEM. With -env, $NAME
// holds the private key's PEM text too, for inputs that take the key itself.
func Genkey(ts *testscript.TestScript, neg bool, args []string) {
	env := ""
	if len(args) > 2 && args[0] == "-env" {
		env, args = args[1], args[2:]
	}
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: genkey [-env NAME] PRIVATE [PUBLIC]")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	ts.Check(err)
	private := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), private, 0o600))
	if env != "" {
		ts.Setenv(env, string(private))
	}
	if len(args) == 2 {
		pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644))
	}
}
