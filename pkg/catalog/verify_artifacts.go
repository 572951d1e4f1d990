package catalog

import "github.com/aviary-cd/aviary/pkg/step"

// VerifyArtifacts checks the plan and every image it names.
var VerifyArtifacts = step.Definition{
	Name:        "verify-artifacts",
	Description: "Check the plan and every image it names: digests, cosign signatures, policy.",
	Inputs: []step.Input{
		planInput,
		{Name: "key", Description: "cosign public keys (PEM files or values), comma- or newline-separated.", Type: step.List},
		{Name: "certificate-identity", Description: "Keyless: expected certificate identity (exact)."},
		{Name: "certificate-identity-regexp", Description: "Keyless: expected certificate identity (regular expression)."},
		{Name: "certificate-oidc-issuer", Description: "Keyless: expected OIDC issuer (exact)."},
		{Name: "certificate-oidc-issuer-regexp", Description: "Keyless: expected OIDC issuer (regular expression)."},
		{Name: "trusted-root", Description: "Sigstore trusted root JSON file for keyless verification."},
		{Name: "require-tlog", Description: "Require transparency-log proof for every signature.", Type: step.Bool, Default: "false"},
		{Name: "policy", Description: "Verification policy file (YAML)."},
		{Name: "concurrency", Description: "How many images to verify at once.", Type: step.Int, Default: "16"},
		{Name: "report-path", Description: "Where to write the JSON report.", Default: "verify-report.json"},
		insecureInput,
		registryUsernameInput,
		registryPasswordInput,
	},
	Outputs: []step.Output{
		{Name: "verified", Description: "true when every check passed."},
		{Name: "report", Description: "Path of the JSON report."},
	},
}
