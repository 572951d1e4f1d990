// Package trustinput declares the step inputs that carry signature trust
// material, so that every step spells them alike. It is separate from
// package signature so that declaring the inputs (package catalog, which
// every step binary links) does not link the Sigstore verification code.
package trustinput

import "github.com/aviary-cd/aviary/pkg/step"

// Input names.
const (
	Key            = "key"
	Identity       = "certificate-identity"
	IdentityRegexp = "certificate-identity-regexp"
	Issuer         = "certificate-oidc-issuer"
	IssuerRegexp   = "certificate-oidc-issuer-regexp"
	TrustedRoot    = "trusted-root"
	RequireTlog    = "require-tlog"
	Policy         = "policy"
)

// Inputs are the trust inputs. verify-artifacts has them; a step that
// deploys a plan appends them to its definition and verifies the plan
// before acting when any is set (see signature.Enabled and
// signature.VerifyPlan).
var Inputs = []step.Input{
	{Name: Key, Description: "cosign public keys: paths of PEM files (comma- or newline-separated), or PEM text itself (one or more PUBLIC KEY blocks); a signature by any of them is trusted."},
	{Name: Identity, Description: "Keyless: trusted certificate identity (exact), e.g. a CI workflow URI or an e-mail address."},
	{Name: IdentityRegexp, Description: "Keyless: trusted certificate identity (regular expression)."},
	{Name: Issuer, Description: "Keyless: trusted OIDC issuer (exact), e.g. https://token.actions.githubusercontent.com."},
	{Name: IssuerRegexp, Description: "Keyless: trusted OIDC issuer (regular expression)."},
	{Name: TrustedRoot, Description: "Sigstore trusted root JSON file: certificate authorities for keyless signatures, transparency logs for require-tlog."},
	{Name: RequireTlog, Description: "Refuse signatures without a transparency-log proof that the trusted root vouches for.", Type: step.Bool, Default: "false"},
	{Name: Policy, Description: "Verification policy file (YAML): plan and image signatures, allowed registries, required attestations, exceptions. Empty: the plan and every image must be signed."},
}
