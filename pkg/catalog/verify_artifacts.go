package catalog

import (
	"github.com/aviary-cd/aviary/pkg/step"
)

// VerifyArtifacts checks the plan and every image it names.
var VerifyArtifacts = step.Definition{
	Name:        "verify-artifacts",
	Description: "Check the plan and every image it names: digests, cosign signatures, attestations, policy.",
	Leaves:      "The JSON report may be written to report-path, and attached to the plan as a referrer, listing the checks that could not be made. A re-run verifies everything again and attaches a report of its own.",
	Inputs:      verifyArtifactsInputs(),
	Outputs: []step.Output{
		{Name: "verified", Description: "true when every check passed, else false."},
		{Name: "report", Description: "Path of the JSON report."},
		{Name: "report-ref", Description: "The report's referrer manifest in the plan's repository (repo@sha256:...), when attached."},
	},
}

func verifyArtifactsInputs() []step.Input {
	in := []step.Input{planInput}
	in = append(in, TrustInputs...)
	return append(in,
		step.Input{Name: "concurrency", Description: "How many images to verify at once.", Type: step.Int, Default: "16"},
		step.Input{Name: "report-path", Description: "Where to write the JSON report.", Default: "verify-report.json"},
		step.Input{Name: "attach-report", Description: "Attach the JSON report to the plan in its registry as an OCI referrer (artifactType application/vnd.aviary.verification-report.v1+json).", Type: step.Bool, Default: "true"},
		insecureInput,
		registryUsernameInput,
		registryPasswordInput, registryHostInput,
	)
}
