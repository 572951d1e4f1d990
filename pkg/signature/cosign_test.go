package signature

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/aviary-cd/aviary/internal/toolcache"
)

// These tests run the real cosign command-line tools, v2 and v3, built by
// internal/toolcache, against the real local registry: cosign signs and
// aviary verifies, and aviary signs and cosign verifies.

// cosignCLI is one cosign binary and the flags it needs to work offline
// against a plain-HTTP loopback registry.
type cosignCLI struct {
	name string
	bin  string
	home string
	// signFlags sign with a key and no transparency log.
	signFlags []string
	// v3 writes Sigstore bundle referrers by default.
	v3 bool
}

// cosignVersions are the CLIs the tests run, by toolcache name.
var cosignVersions = []string{"cosign-v2", "cosign-v3"}

// cosignTool returns the named CLI, building it on first use.
func cosignTool(t *testing.T, name string) *cosignCLI {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the cosign CLI")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	bin, err := toolcache.Path(ctx, name)
	if err != nil {
		t.Fatalf("toolcache.Path(%s): %v", name, err)
	}
	c := &cosignCLI{name: name, bin: bin, home: t.TempDir(),
		signFlags: []string{"--tlog-upload=false", "--allow-insecure-registry", "--yes"}}
	if name == "cosign-v3" {
		// v3 reads a signing config from the public TUF repository unless
		// told not to, and refuses --tlog-upload=false with one.
		c.v3 = true
		c.signFlags = append(c.signFlags, "--use-signing-config=false")
	}
	return c
}

// run runs cosign in dir and returns its combined output.
func (c *cosignCLI) run(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"COSIGN_PASSWORD="+pw,
		"HOME="+c.home,
		"TUF_ROOT="+filepath.Join(c.home, "tuf"),
		"SIGSTORE_NO_CACHE=true",
		"DOCKER_CONFIG="+filepath.Join(c.home, "docker"),
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (c *cosignCLI) mustRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := c.run(t, dir, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", c.name, strings.Join(args, " "), err, out)
	}
	return out
}

// keys makes a cosign key pair with the CLI in a new directory.
func (c *cosignCLI) keys(t *testing.T, prefix string) (dir string, priv, pub []byte) {
	t.Helper()
	dir = t.TempDir()
	c.mustRun(t, dir, "generate-key-pair", "--output-key-prefix", prefix)
	priv, err := os.ReadFile(filepath.Join(dir, prefix+".key"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err = os.ReadFile(filepath.Join(dir, prefix+".pub"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, priv, pub
}

func (c *cosignCLI) sign(t *testing.T, dir, key, ref string, extra ...string) {
	t.Helper()
	args := append([]string{"sign", "--key", key}, c.signFlags...)
	args = append(args, extra...)
	c.mustRun(t, dir, append(args, ref)...)
}

func TestCosignSignsAviaryVerifies(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the cosign CLI")
	}
	e := newEnv(t)
	ca := newTestCA(t)
	for _, name := range cosignVersions {
		t.Run(name, func(t *testing.T) {
			c := cosignTool(t, name)
			dir, priv, pub := c.keys(t, "cosign")
			_, _, otherPub := c.keys(t, "other")
			// The CLI's encrypted key is the format LoadPrivateKey reads.
			if _, err := LoadPrivateKey(priv, []byte(pw)); err != nil {
				t.Fatalf("LoadPrivateKey(%s generate-key-pair) = %v", c.name, err)
			}
			repo := "cli/" + c.name
			n := 0
			image := func(seed string) (string, ocispec.Descriptor) {
				n++
				return e.pushImage(t, repo, "t"+strings.Repeat("i", n), c.name+"-"+seed)
			}
			keyTrust := Material{Keys: []Key{{Name: "cosign.pub", PEM: pub}}}
			wantFormat := FormatCosignTag
			if c.v3 {
				wantFormat = FormatBundle
			}
			verify := func(t *testing.T, m Material, req Request) Result {
				t.Helper()
				res, err := NewVerifier(mustTrust(t, m), e.client).Verify(context.Background(), req)
				if err != nil {
					t.Fatalf("Verify(%s): %v", req.Ref, err)
				}
				return res
			}
			wantReason := func(t *testing.T, res Result, want Reason) {
				t.Helper()
				if len(res.Failures) != 1 || res.Failures[0].Reason != want {
					t.Fatalf("Verify(%s) failures = %v, want one of reason %s", res.Ref, res.Failures, want)
				}
				t.Logf("refused as expected: %v", res.Failures[0])
			}

			signed, signedDesc := image("signed")
			c.sign(t, dir, "cosign.key", signed)

			t.Run("signed with the trusted key", func(t *testing.T) {
				res := verify(t, keyTrust, Request{Ref: signed, Signature: true})
				if !res.OK() || res.Signer.Format != wantFormat || res.Signer.Key != "cosign.pub" {
					t.Fatalf("Verify = %+v (signer %+v), want a pass by cosign.pub in %s", res.Failures, res.Signer, wantFormat)
				}
			})
			if c.v3 {
				t.Run("v3 in the legacy tag format", func(t *testing.T) {
					ref, _ := image("legacy")
					c.sign(t, dir, "cosign.key", ref, "--new-bundle-format=false")
					res := verify(t, keyTrust, Request{Ref: ref, Signature: true})
					if !res.OK() || res.Signer.Format != FormatCosignTag {
						t.Fatalf("Verify = %v (signer %+v), want a pass in %s", res.Failures, res.Signer, FormatCosignTag)
					}
				})
			}
			t.Run("signed with annotations in the payload", func(t *testing.T) {
				// Not the payload aviary predicts for the image: it is
				// downloaded and checked (TestVerifyKnownPayload).
				ref, _ := image("annotated")
				c.sign(t, dir, "cosign.key", ref, "-a", "team=shop")
				res := verify(t, keyTrust, Request{Ref: ref, Signature: true})
				if !res.OK() || res.Signer.Format != wantFormat {
					t.Fatalf("Verify = %v (signer %+v), want a pass in %s", res.Failures, res.Signer, wantFormat)
				}
			})
			t.Run("require tlog without a log entry", func(t *testing.T) {
				m := keyTrust
				m.TrustedRoot, m.RequireTlog = ca.trustedRoot(t), true
				wantReason(t, verify(t, m, Request{Ref: signed, Signature: true}), NoTlogProof)
			})
			t.Run("unsigned", func(t *testing.T) {
				ref, _ := image("unsigned")
				wantReason(t, verify(t, keyTrust, Request{Ref: ref, Signature: true}), Unsigned)
			})
			t.Run("signed by an unknown key", func(t *testing.T) {
				wantReason(t, verify(t, Material{Keys: []Key{{PEM: otherPub}}}, Request{Ref: signed, Signature: true}), UnknownKey)
			})
			t.Run("signature copied from another image", func(t *testing.T) {
				ref, desc := image("victim")
				tg := e.target(t, repo)
				if c.v3 {
					copyBundles(t, tg, signedDesc, desc)
				} else {
					sig, err := tg.Resolve(context.Background(), cosignTag(signedDesc.Digest, "sig"))
					if err != nil {
						t.Fatal(err)
					}
					if err := tg.Tag(context.Background(), sig, cosignTag(desc.Digest, "sig")); err != nil {
						t.Fatal(err)
					}
				}
				wantReason(t, verify(t, keyTrust, Request{Ref: ref, Signature: true}), WrongDigestClaim)
			})
			t.Run("tag instead of digest", func(t *testing.T) {
				wantReason(t, verify(t, keyTrust, Request{Ref: e.host + "/" + repo + ":ti", Signature: true}), TagNotDigest)
			})
			t.Run("tampered image: same tag, new digest", func(t *testing.T) {
				orig, _ := e.pushImage(t, repo, "release", c.name+"-original")
				c.sign(t, dir, "cosign.key", orig)
				tampered, _ := e.pushImage(t, repo, "release", c.name+"-tampered")
				if res := verify(t, keyTrust, Request{Ref: orig, Signature: true}); !res.OK() {
					t.Fatalf("the pinned original no longer verifies: %v", res.Failures)
				}
				wantReason(t, verify(t, keyTrust, Request{Ref: tampered, Signature: true}), Unsigned)
			})
			t.Run("attestation", func(t *testing.T) {
				ref, _ := image("attested")
				c.sign(t, dir, "cosign.key", ref)
				pred := filepath.Join(dir, "provenance.json")
				if err := os.WriteFile(pred, []byte(`{"buildDefinition":{"buildType":"https://ci.example/build/v1","externalParameters":{}},"runDetails":{"builder":{"id":"https://ci.example/builder"}}}`), 0o644); err != nil {
					t.Fatal(err)
				}
				args := append([]string{"attest", "--key", "cosign.key", "--type", "slsaprovenance1", "--predicate", pred}, c.signFlags...)
				c.mustRun(t, dir, append(args, ref)...)
				res := verify(t, keyTrust, Request{Ref: ref, Signature: true, Attestations: []string{slsa}})
				if !res.OK() || len(res.Attestations) != 1 {
					t.Fatalf("Verify with a required %s attestation = %v, attestations %+v; want a pass", slsa, res.Failures, res.Attestations)
				}
				t.Run("missing attestation", func(t *testing.T) {
					wantReason(t, verify(t, keyTrust, Request{Ref: ref, Signature: true, Attestations: []string{"https://spdx.dev/Document"}}), MissingAttestation)
				})
			})
			t.Run("keyless", func(t *testing.T) {
				kdir := t.TempDir()
				write := func(name string, data []byte) {
					if err := os.WriteFile(filepath.Join(kdir, name), data, 0o600); err != nil {
						t.Fatal(err)
					}
				}
				key, cert, chain := ca.issue(t, "ci@example.com", "https://issuer.example", pw)
				write("leaf.key", key)
				write("leaf.pem", cert)
				write("chain.pem", chain)
				ref, _ := image("keyless")
				c.sign(t, kdir, "leaf.key", ref, "--certificate", "leaf.pem", "--certificate-chain", "chain.pem")
				root := ca.trustedRoot(t)
				ids := func(id Identity) Material { return Material{TrustedRoot: root, Identities: []Identity{id}} }
				res := verify(t, ids(Identity{Subject: "ci@example.com", Issuer: "https://issuer.example"}), Request{Ref: ref, Signature: true})
				if !res.OK() || res.Signer.Identity != "ci@example.com" {
					t.Fatalf("keyless Verify = %v (signer %+v), want a pass by ci@example.com", res.Failures, res.Signer)
				}
				wantReason(t, verify(t, ids(Identity{Subject: "release@example.com", Issuer: "https://issuer.example"}), Request{Ref: ref, Signature: true}), IdentityMismatch)
				wantReason(t, verify(t, ids(Identity{SubjectRegexp: "^ci@", Issuer: "https://other-issuer.example"}), Request{Ref: ref, Signature: true}), IssuerMismatch)
				wantReason(t, verify(t, Material{TrustedRoot: newTestCA(t).trustedRoot(t), Identities: []Identity{{Subject: "ci@example.com", Issuer: "https://issuer.example"}}}, Request{Ref: ref, Signature: true}), UnknownKey)
			})
		})
	}
}

func TestAviarySignsCosignVerifies(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the cosign CLI")
	}
	e := newEnv(t)
	for _, name := range cosignVersions {
		t.Run(name, func(t *testing.T) {
			c := cosignTool(t, name)
			dir, priv, _ := c.keys(t, "release")
			formats := []struct {
				name string
				opts SignOptions
			}{
				{"tag", SignOptions{}},
				{"tag and bundle", SignOptions{Bundle: true}},
			}
			if c.v3 {
				formats = append(formats, struct {
					name string
					opts SignOptions
				}{"bundle only", SignOptions{Bundle: true, NoTag: true}})
			}
			img, _ := e.pushImage(t, "shop/api", c.name, c.name)
			for i, f := range formats {
				t.Run(f.name, func(t *testing.T) {
					// A real release plan (an OCI 1.1 artifact), as bundle-plan signs it.
					loaded := e.publishPlan(t, "plans/"+c.name, fmt.Sprintf("1.0.%d", i), []service{{"api", img}})
					ref := loaded.Ref
					if _, err := SignArtifact(context.Background(), e.client, ref, priv, []byte(pw), f.opts); err != nil {
						t.Fatalf("SignArtifact: %v", err)
					}
					out := c.mustRun(t, dir, "verify", "--key", "release.pub", "--insecure-ignore-tlog", "--allow-insecure-registry", ref)
					if !strings.Contains(out, "The signatures were verified against the specified public key") {
						t.Errorf("%s verify output lacks the success line:\n%s", c.name, out)
					}
					// And a key that did not sign is refused.
					odir, _, _ := c.keys(t, "stranger")
					if out, err := c.run(t, odir, "verify", "--key", "stranger.pub", "--insecure-ignore-tlog", "--allow-insecure-registry", ref); err == nil {
						t.Errorf("%s verify with a stranger's key passed:\n%s", c.name, out)
					}
				})
			}
			t.Run("attestation", func(t *testing.T) {
				ref, desc := e.pushImage(t, "shop/attested", c.name, c.name+"-attested")
				key := mustLoadKey(t, priv, pw)
				pred := []byte(`{"buildDefinition":{"buildType":"https://ci.example/build/v1"},"runDetails":{"builder":{"id":"https://ci.example/builder"}}}`)
				if _, err := Attest(context.Background(), e.target(t, "shop/attested"), desc, key, slsa, pred, SignOptions{Bundle: c.v3}); err != nil {
					t.Fatalf("Attest: %v", err)
				}
				out := c.mustRun(t, dir, "verify-attestation", "--key", "release.pub", "--type", "slsaprovenance1",
					"--insecure-ignore-tlog", "--allow-insecure-registry", ref)
				if !strings.Contains(out, "The signatures were verified against the specified public key") {
					t.Errorf("%s verify-attestation output lacks the success line:\n%s", c.name, out)
				}
			})
		})
	}
}
