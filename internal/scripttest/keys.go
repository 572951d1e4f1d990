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
//	genkey PRIVATE [PUBLIC]
//
// writes a fresh ECDSA P-256 key, which cosign accepts: the private key
// unencrypted as PKCS#8 PEM, and its public key as PKIX PEM.
func Genkey(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: genkey PRIVATE [PUBLIC]")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	if len(args) == 2 {
		pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644))
	}
}
