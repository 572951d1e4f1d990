// Command verify-artifacts checks a release plan and every image it names
// against cosign signatures, attestations and a policy, and refuses (exit 1)
// listing every failure by service. See package signature.
package main

import (
	"os"

	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/steps/internal/stepinput"
)

func main() { os.Exit(step.Main(catalog.VerifyArtifacts, stepinput.Bounded(run))) }
