package devenv_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/memory"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/retry"

	"github.com/aviary-cd/aviary/internal/devenv"
)

func repository(t *testing.T, reg *devenv.Registry, name string) *remote.Repository {
	t.Helper()
	repo, err := remote.NewRepository(reg.Ref(name))
	if err != nil {
		t.Fatalf("remote.NewRepository(%q) = %v", reg.Ref(name), err)
	}
	client := &auth.Client{Client: retry.DefaultClient, Cache: auth.NewCache()}
	client.Client = reg.Client()
	if reg.Username != "" {
		client.Credential = auth.StaticCredential(reg.Host, auth.Credential{Username: reg.Username, Password: reg.Password})
	}
	repo.Client = client
	repo.PlainHTTP = reg.CAFile == ""
	return repo
}

// pushArtifact pushes an OCI 1.1 artifact with one layer and returns its manifest descriptor.
func pushArtifact(t *testing.T, repo *remote.Repository, payload []byte) ocispec.Descriptor {
	t.Helper()
	ctx := context.Background()
	layer := content.NewDescriptorFromBytes("application/vnd.aviary.test.v1+json", payload)
	if err := repo.Push(ctx, layer, bytesReader(payload)); err != nil {
		t.Fatalf("pushing layer: %v", err)
	}
	manifest, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "application/vnd.aviary.test.artifact.v1", oras.PackManifestOptions{
		Layers: []ocispec.Descriptor{layer},
	})
	if err != nil {
		t.Fatalf("oras.PackManifest() = %v", err)
	}
	return manifest
}

func TestRegistryServesOCIArtifactByDigest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a registry")
	}
	for _, tc := range []struct {
		name string
		opts devenv.RegistryOptions
	}{
		{"plain", devenv.RegistryOptions{}},
		{"tls+auth", devenv.RegistryOptions{TLS: true, Auth: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := devenv.StartRegistry(t, tc.opts)
			repo := repository(t, reg, "aviary/plan")
			payload := []byte(`{"release":"r1"}`)
			manifest := pushArtifact(t, repo, payload)

			// Copy back by digest into a fresh store, the way a later step would.
			store := memory.New()
			got, err := oras.Copy(context.Background(), repo, manifest.Digest.String(), store, "", oras.DefaultCopyOptions)
			if err != nil {
				t.Fatalf("oras.Copy(%s) = %v", manifest.Digest, err)
			}
			if got.Digest != manifest.Digest {
				t.Errorf("oras.Copy(%s) digest = %s, want the same", manifest.Digest, got.Digest)
			}
			m, err := content.FetchAll(context.Background(), store, got)
			if err != nil {
				t.Fatalf("fetching manifest: %v", err)
			}
			var parsed ocispec.Manifest
			if err := jsonUnmarshal(m, &parsed); err != nil {
				t.Fatal(err)
			}
			if parsed.ArtifactType != "application/vnd.aviary.test.artifact.v1" {
				t.Errorf("manifest artifactType = %q, want %q", parsed.ArtifactType, "application/vnd.aviary.test.artifact.v1")
			}
			layer, err := content.FetchAll(context.Background(), store, parsed.Layers[0])
			if err != nil {
				t.Fatalf("fetching layer: %v", err)
			}
			if diff := cmp.Diff(string(payload), string(layer)); diff != "" {
				t.Errorf("layer mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRegistryTLSRefusesUnknownCA(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a registry")
	}
	reg := devenv.StartRegistry(t, devenv.RegistryOptions{TLS: true})

	_, err := http.Get(reg.URL + "/v2/")
	var unknownCA x509.UnknownAuthorityError
	if !errors.As(err, &unknownCA) {
		t.Fatalf("GET %s/v2/ without the CA = %v, want x509.UnknownAuthorityError", reg.URL, err)
	}

	resp, err := reg.Client().Get(reg.URL + "/v2/")
	if err != nil {
		t.Fatalf("GET %s/v2/ with the CA = %v", reg.URL, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v2/ with the CA: status = %d, want 200", resp.StatusCode)
	}

	// A client with some other CA pool is refused too.
	other := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: devenv.StartRegistry(t, devenv.RegistryOptions{TLS: true}).CAPool()}}}
	if _, err := other.Get(reg.URL + "/v2/"); err == nil {
		t.Errorf("GET with another registry's CA succeeded, want a certificate error")
	}
}

func TestRegistryAuthRefusesAnonymous(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a registry")
	}
	reg := devenv.StartRegistry(t, devenv.RegistryOptions{Auth: true})

	resp, err := http.Get(reg.URL + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous GET /v2/: status = %d, want 401", resp.StatusCode)
	}

	req, _ := http.NewRequest(http.MethodGet, reg.URL+"/v2/", nil)
	req.SetBasicAuth(reg.Username, "wrong")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /v2/ with a wrong password: status = %d, want 401", resp.StatusCode)
	}

	req.SetBasicAuth(reg.Username, reg.Password)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v2/ with credentials: status = %d, want 200", resp.StatusCode)
	}
}
