package policy_test

import (
	"fmt"

	"github.com/aviary-cd/aviary/pkg/policy"
)

func ExampleParse() {
	p, err := policy.Parse("policy.yaml", []byte(`apiVersion: aviary.dev/v1
kind: VerificationPolicy
images:
  allowedRegistries: [registry.example.com/team]
  requiredAttestations: [https://slsa.dev/provenance/v1]
exceptions:
  - service: legacy
    allowUnsigned: true
    skipAttestations: ["*"]
    reason: vendor image
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, svc := range []string{"api", "legacy"} {
		r := p.For(svc)
		fmt.Printf("%s: signature %t, attestations %v\n", svc, r.Signature, r.Attestations)
	}
	fmt.Println(policy.RegistryAllowed(p.Images.AllowedRegistries, "registry.example.com/team/api"))
	fmt.Println(policy.RegistryAllowed(p.Images.AllowedRegistries, "registry.example.com/teamx/api"))
	// Output:
	// api: signature true, attestations [https://slsa.dev/provenance/v1]
	// legacy: signature false, attestations []
	// true
	// false
}
