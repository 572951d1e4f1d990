package catalog

import "github.com/aviary-cd/aviary/pkg/step"

// Names of the trust inputs: the signature trust material and policy, so
// that every step spells them alike.
const (
	InputKey            = "key"
	InputIdentity       = "certificate-identity"
	InputIdentityRegexp = "certificate-identity-regexp"
	InputIssuer         = "certificate-oidc-issuer"
	InputIssuerRegexp   = "certificate-oidc-issuer-regexp"
	InputTrustedRoot    = "trusted-root"
	InputRequireTlog    = "require-tlog"
	InputPolicy         = "policy"
)

// TrustInputs are the trust inputs. verify-artifacts has them; a step that
// deploys a plan appends them to its definition and verifies the plan
// before acting when any is set.
var TrustInputs = []step.Input{
	{Name: InputKey, Description: "cosign public keys: paths of PEM files (comma- or newline-separated), or PEM text itself (one or more PUBLIC KEY blocks); a signature by any of them is trusted."},
	{Name: InputIdentity, Description: "Keyless: trusted certificate identity (exact), e.g. a CI workflow URI or an e-mail address."},
	{Name: InputIdentityRegexp, Description: "Keyless: trusted certificate identity (regular expression)."},
	{Name: InputIssuer, Description: "Keyless: trusted OIDC issuer (exact), e.g. https://token.actions.githubusercontent.com."},
	{Name: InputIssuerRegexp, Description: "Keyless: trusted OIDC issuer (regular expression)."},
	{Name: InputTrustedRoot, Description: "Sigstore trusted root JSON file: certificate authorities for keyless signatures, transparency logs for require-tlog."},
	{Name: InputRequireTlog, Description: "Refuse signatures without a transparency-log proof that the trusted root vouches for.", Type: step.Bool, Default: "false"},
	{Name: InputPolicy, Description: "Verification policy file (YAML): plan and image signatures, allowed registries, required attestations, exceptions. Empty: the plan and every image must be signed."},
}
