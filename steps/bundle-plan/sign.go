package main

import (
	"context"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"github.com/aviary-cd/aviary/pkg/registry"
	"github.com/aviary-cd/aviary/pkg/signature"
)

// cosignSigner signs with a cosign private key through pkg/signature.
type cosignSigner struct {
	key *signature.PrivateKey
}

// newCosignSigner reads the key before anything is pushed, so that a wrong
// key or password fails the step (exit 2) with nothing published.
func newCosignSigner(keyPEM, password []byte) (*cosignSigner, error) {
	key, err := signature.LoadPrivateKey(keyPEM, password)
	if err != nil {
		return nil, err
	}
	return &cosignSigner{key: key}, nil
}

// Sign signs ref unless a cosign signature tag (sha256-<hex>.sig) already
// exists: a re-run after a successful push signs a plan whose earlier run
// failed before signing, and does not add a second signature otherwise.
func (s *cosignSigner) Sign(ctx context.Context, client *registry.Client, target oras.Target, ref registry.Reference, desc ocispec.Descriptor) (bool, error) {
	sigTag := strings.Replace(desc.Digest.String(), ":", "-", 1) + ".sig"
	if _, err := target.Resolve(ctx, sigTag); err == nil {
		return false, nil
	} else if !registry.IsNotFound(err) {
		return false, err
	}
	if _, err := signature.Sign(ctx, target, ref.Repo(), desc, s.key, signature.SignOptions{}); err != nil {
		return false, err
	}
	return true, nil
}
