package catalog

import "github.com/aviary-cd/aviary/pkg/step"

// BundlePlan closes a release into an immutable release plan.
var BundlePlan = step.Definition{
	Name:        "bundle-plan",
	Description: "Close the release: pin every image by digest, pack and push the release plan, tag it immutably.",
	Leaves:      "The plan's blobs may be in the repository without its version tag, or the plan pushed and tagged but not yet signed. A re-run of the same commit bundles to the same digest: it pushes only what is missing, never moves the version tag, and signs the plan if it is not signed yet.",
	Inputs: []step.Input{
		{Name: "config", Description: "Release config file in the repository.", Default: "aviary.yaml"},
		{Name: "repository", Description: "Where plans are pushed: registry/repo, or oci-layout:<dir>.", Required: true},
		{Name: "repo-path", Description: "Path of the git repository.", Default: "."},
		{Name: "version", Description: "Release version; empty takes it from the checked-out release branch."},
		{Name: "branch-pattern", Description: "Release branch name the version is read from when the version input is empty; X.Y.Z stands for the version, as in open-release.", Default: "release/X.Y.Z"},
		{Name: "sign-key", Description: "cosign private key (file path or PEM) to sign the plan with; empty leaves it unsigned.", Secret: true},
		{Name: "sign-key-password", Description: "Password of the signing key.", Secret: true},
		{Name: "concurrency", Description: "How many images to resolve at once.", Type: step.Int, Default: "16"},
		insecureInput,
		registryUsernameInput,
		registryPasswordInput, registryHostInput,
		requestTimeoutInput, stepTimeoutInput,
	},
	Outputs: []step.Output{
		{Name: "plan-ref", Description: "The plan by digest: repo@sha256:..."},
		{Name: "plan-digest", Description: "The plan's manifest digest."},
		{Name: "version", Description: "The release version."},
	},
}
