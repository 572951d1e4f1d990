package registry

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

const d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

func TestParseReference(t *testing.T) {
	tests := []struct {
		in      string
		want    Reference
		wantStr string
		wantErr string
	}{
		{"ghcr.io/acme/plans", Reference{Registry: "ghcr.io", Repository: "acme/plans"}, "ghcr.io/acme/plans", ""},
		{"ghcr.io/acme/plans:1.2.0", Reference{Registry: "ghcr.io", Repository: "acme/plans", Tag: "1.2.0"}, "ghcr.io/acme/plans:1.2.0", ""},
		{"127.0.0.1:5000/plans@" + d1, Reference{Registry: "127.0.0.1:5000", Repository: "plans", Digest: d1}, "127.0.0.1:5000/plans@" + d1, ""},
		{"ghcr.io/acme/plans:1.2.0@" + d1, Reference{Registry: "ghcr.io", Repository: "acme/plans", Digest: d1}, "ghcr.io/acme/plans@" + d1, ""},
		{"oci-layout:./out/plans", Reference{Layout: "./out/plans"}, "oci-layout:./out/plans", ""},
		{"oci-layout:/tmp/plans:1.2.0", Reference{Layout: "/tmp/plans", Tag: "1.2.0"}, "oci-layout:/tmp/plans:1.2.0", ""},
		{"oci-layout:plans@" + d1, Reference{Layout: "plans", Digest: d1}, "oci-layout:plans@" + d1, ""},
		{"oci-layout:", Reference{}, "", "names no directory"},
		{"oci-layout:plans@sha256:abc", Reference{}, "", "invalid digest"},
		{"plans", Reference{}, "", "give registry/repository"},
		{"ghcr.io/Acme/plans", Reference{}, "", "reference"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseReference(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseReference(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				if outcome.KindOf(err) != outcome.KindInvalid {
					t.Errorf("ParseReference(%q) error kind = %v, want invalid", tt.in, outcome.KindOf(err))
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseReference(%q) error: %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseReference(%q) (-want +got):\n%s", tt.in, diff)
			}
			if got.String() != tt.wantStr {
				t.Errorf("ParseReference(%q).String() = %q, want %q", tt.in, got.String(), tt.wantStr)
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost:5000": true, "127.0.0.1:5000": true, "127.1.2.3": true, "[::1]:5000": true,
		"ghcr.io": false, "10.0.0.1:5000": false, "localhost.example.com": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestNormalizeImage(t *testing.T) {
	tests := []struct{ image, tag, repo, ref, err string }{
		{"nginx", "1.27", "docker.io/library/nginx", "docker.io/library/nginx:1.27", ""},
		{"ghcr.io/acme/api:2.0.0", "1.0.0", "ghcr.io/acme/api", "ghcr.io/acme/api:2.0.0", ""},
		{"ghcr.io/acme/api", "1.0.0+build.5", "", "", "not a valid tag"},
		{"ghcr.io/acme/api@" + d1, "1.0.0", "", "", "already names a digest"},
	}
	for _, tt := range tests {
		repo, ref, err := NormalizeImage(tt.image, tt.tag)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("NormalizeImage(%q, %q) error = %v, want %q", tt.image, tt.tag, err, tt.err)
			}
			continue
		}
		if err != nil || repo != tt.repo || ref != tt.ref {
			t.Errorf("NormalizeImage(%q, %q) = %q, %q, %v; want %q, %q", tt.image, tt.tag, repo, ref, err, tt.repo, tt.ref)
		}
	}
}
