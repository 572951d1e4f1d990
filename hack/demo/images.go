package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/secure-systems-lab/go-securesystemslib/encrypted"

	"github.com/aviary-cd/aviary/pkg/registry"
	"github.com/aviary-cd/aviary/pkg/signature"
)

// signingKey is a cosign key pair as `cosign generate-key-pair` writes it:
// an ECDSA P-256 key, encrypted with a password (scrypt and secretbox).
type signingKey struct {
	PrivateFile, PublicFile string
	PrivatePEM, PublicPEM   []byte
	Password                []byte
}

// newSigningKey generates a key pair and writes cosign.key and cosign.pub
// into dir.
func newSigningKey(dir string) (*signingKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encoding the signing key: %w", err)
	}
	pw := make([]byte, 12)
	if _, err := rand.Read(pw); err != nil {
		return nil, err
	}
	k := &signingKey{Password: []byte(hex.EncodeToString(pw))}
	enc, err := encrypted.Encrypt(der, k.Password)
	if err != nil {
		return nil, fmt.Errorf("encrypting the signing key: %w", err)
	}
	k.PrivatePEM = pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED SIGSTORE PRIVATE KEY", Bytes: enc})
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("encoding the public key: %w", err)
	}
	k.PublicPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	// The key must be one pkg/signature reads, as bundle-plan will.
	if _, err := signature.LoadPrivateKey(k.PrivatePEM, k.Password); err != nil {
		return nil, fmt.Errorf("reading back the generated key: %w", err)
	}
	k.PrivateFile, k.PublicFile = filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
	if err := os.WriteFile(k.PrivateFile, k.PrivatePEM, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(k.PublicFile, k.PublicPEM, 0o644); err != nil {
		return nil, err
	}
	return k, nil
}

// builtImage is one service's image of a release.
type builtImage struct {
	Service string
	Ref     string // repository:tag
	Digest  string
	Image   v1.Image
	Reused  bool // the service did not change: the previous image, tagged again
	Signed  bool // a signature was written in this run
}

// Pinned is the image by digest.
func (b builtImage) Pinned() string {
	repo, _, _ := cutTag(b.Ref)
	return repo + "@" + b.Digest
}

// buildImage makes a small OCI image for a service's release: one layer of
// random bytes (so every build differs, as real builds do) and a config that
// names the service and version.
func buildImage(service, version string) (v1.Image, error) {
	layer, err := random.Layer(512, types.OCILayer)
	if err != nil {
		return nil, fmt.Errorf("making a layer: %w", err)
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return nil, fmt.Errorf("adding the layer: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.Config.Entrypoint = []string{"/" + service}
	cfg.Config.Labels = map[string]string{
		"org.opencontainers.image.title":   service,
		"org.opencontainers.image.version": version,
	}
	return mutate.ConfigFile(img, cfg)
}

// pushImage pushes img as ref (repository:tag) and returns its digest.
func pushImage(ctx context.Context, ref string, img v1.Image) (string, error) {
	tag, err := name.NewTag(ref, name.StrictValidation)
	if err != nil {
		return "", fmt.Errorf("parsing %s: %w", ref, err)
	}
	if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("pushing %s: %w", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// signImage signs the image by digest with the demo key, as `cosign sign
// --key` would, through pkg/signature.
func signImage(ctx context.Context, client *registry.Client, pinned string, key *signingKey) error {
	if _, err := signature.SignArtifact(ctx, client, pinned, key.PrivatePEM, key.Password, signature.SignOptions{}); err != nil {
		return fmt.Errorf("signing %s: %w", pinned, err)
	}
	return nil
}

// cutTag splits repository:tag (the tag follows the last colon after the
// last slash).
func cutTag(ref string) (repo, tag string, ok bool) {
	i := strings.LastIndexAny(ref, ":/")
	if i < 0 || ref[i] != ':' {
		return ref, "", false
	}
	return ref[:i], ref[i+1:], true
}
