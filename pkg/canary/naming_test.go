package canary

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestDeploymentName(t *testing.T) {
	tests := []struct {
		service, version, want string
	}{
		{"cart", "1.2.3", "cart-v1-2-3"},
		{"cart", "1.4.0-rc.1", "cart-v1-4-0-rc-1"},
		{"cart", "1.4.0+Build.7", "cart-v1-4-0-build-7"},
		{"a-very-long-service-name-for-a-very-long-product", "10.20.30-alpha.beta.gamma.delta", "a-very-long-service-name-for-a-very-long-product-v10-2-e5bca6a9"},
	}
	for _, tt := range tests {
		got := DeploymentName(tt.service, tt.version)
		if got != tt.want {
			t.Errorf("DeploymentName(%q, %q) = %q, want %q", tt.service, tt.version, got, tt.want)
		}
		if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
			t.Errorf("DeploymentName(%q, %q) = %q, not a DNS label: %v", tt.service, tt.version, got, errs)
		}
	}
}

func TestVersionValue(t *testing.T) {
	tests := []struct{ version, want string }{
		{"1.2.3", "1.2.3"},
		{"1.4.0-rc.1+build.7", "1.4.0-rc.1_build.7"},
		{strings.Repeat("1", 70), strings.Repeat("1", 54) + "-" + shortHash(strings.Repeat("1", 70))},
	}
	for _, tt := range tests {
		got := VersionValue(tt.version)
		if got != tt.want {
			t.Errorf("VersionValue(%q) = %q, want %q", tt.version, got, tt.want)
		}
		if errs := validation.IsValidLabelValue(got); len(errs) > 0 {
			t.Errorf("VersionValue(%q) = %q, not a label value: %v", tt.version, got, errs)
		}
	}
}
