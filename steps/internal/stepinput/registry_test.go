package stepinput

import (
	"strings"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

type inputs map[string]string

func (in inputs) String(name string) string { return in[name] }
func (in inputs) Bool(name string) bool     { return in[name] == "true" }
func (in inputs) Getenv(key string) string  { return in["env:"+key] }
func (in inputs) Duration(name string) time.Duration {
	d, _ := time.ParseDuration(in[name])
	return d
}

func TestRegistry(t *testing.T) {
	tests := []struct {
		name     string
		in       inputs
		ref      string
		wantHost string
		wantErr  string
	}{
		{"host of the plan", inputs{"registry-username": "ci", "registry-password": "p"}, "ghcr.io/acme/plan@sha256:" + strings.Repeat("a", 64), "ghcr.io", ""},
		{"host of the repository", inputs{"registry-username": "ci"}, "registry.example.com:5000/acme/plans", "registry.example.com:5000", ""},
		{"named host wins", inputs{"registry-username": "ci", "registry-host": "quay.io"}, "ghcr.io/acme/plan", "quay.io", ""},
		{"no credentials, no host", inputs{}, "oci-layout:/x@sha256:" + strings.Repeat("a", 64), "", ""},
		{"layout needs a host", inputs{"registry-username": "ci"}, "oci-layout:/x@sha256:" + strings.Repeat("a", 64), "", "OCI layout"},
		{"password alone", inputs{"registry-password": "p"}, "ghcr.io/acme/plan", "", "without registry-username"},
		{"host with a path", inputs{"registry-username": "ci", "registry-host": "ghcr.io/acme"}, "ghcr.io/acme/plan", "", "host[:port] only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Registry(tt.in, tt.ref, 0)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || outcome.KindOf(err) != outcome.KindInvalid {
					t.Fatalf("Registry() error = %v, want invalid %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Registry() error: %v", err)
			}
			if got.CredentialHost != tt.wantHost {
				t.Errorf("Registry().CredentialHost = %q, want %q", got.CredentialHost, tt.wantHost)
			}
		})
	}
}
