// Command deploy-canary deploys a release plan's changed services on the
// topology's canary side (beside their stable versions, or in the canary
// namespace), waits until they are ready, and routes a first weight to them
// through Istio. A service released for the first time goes straight to
// stable. See package canary.
package main

import (
	"os"

	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/steps/internal/stepinput"
)

func main() { os.Exit(step.Main(catalog.DeployCanary, stepinput.Bounded(run))) }
