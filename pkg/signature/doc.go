// Package signature verifies and writes cosign signatures and attestations of
// OCI artifacts, and verifies a whole release plan against a policy.
//
// Two storage formats are read, both as cosign writes them:
//
//   - cosign v2 tags: a signature image at <repo>:sha256-<hex>.sig whose
//     layers are simple-signing payloads, each with its signature in the
//     dev.cosignproject.cosign/signature annotation and optional certificate,
//     chain and Rekor bundle annotations; attestations likewise at
//     sha256-<hex>.att as DSSE envelopes.
//   - Sigstore bundles (v0.1 to v0.3) attached as OCI 1.1 referrers, the
//     default of cosign v3, found through the referrers API or, where a
//     registry lacks it, the referrers tag schema.
//
// Every signature must also claim the very digest it is checked for: the
// simple-signing critical.image.docker-manifest-digest, or an in-toto
// statement subject. A valid signature for another image is refused.
//
// Requests per artifact: the manifest itself (a HEAD: the artifact must
// exist), then the signature tag's manifest; its simple-signing payload is
// not downloaded when it is byte for byte what cosign writes for that
// digest in that repository (the layer's digest and size prove it), and is
// downloaded otherwise (annotations, another claim). Bundle referrers, read
// only when no tag signature verifies or attestations are required, cost
// the referrers list and each referrer's manifest and bundle.
//
// Trust is given as cosign public keys (ECDSA, RSA, Ed25519 PEM) and/or
// keyless identities (certificate subject and OIDC issuer, exact or regular
// expression) checked against an offline Sigstore trusted root. The
// cryptography, certificate path validation, transparency-log proofs and
// identity matching are sigstore-go's; this package finds the material in
// the registry, adapts the cosign v2 format to it, and checks the claims.
//
// Failures a caller branches on are typed: a *VerificationError (with a
// Reason) wrapped as outcome.Negative, distinct from registry failures,
// which are outcome.External after retries. The package never prints.
package signature
