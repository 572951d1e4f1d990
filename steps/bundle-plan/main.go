// Command bundle-plan closes a release: it reads the release config and the
// Kubernetes manifests from the release commit, pins every image by digest,
// and pushes the release plan (see docs/plan-format.md), tagged immutably
// with the version.
package main

import (
	"os"

	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/steps/internal/stepinput"
)

func main() { os.Exit(step.Main(catalog.BundlePlan, stepinput.Bounded(run))) }
