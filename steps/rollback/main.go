// Command rollback sends a release's traffic back to the version before it:
// to stable before promotion, to the passive previous version after. See
// package canary.
package main

import (
	"os"

	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/steps/internal/stepinput"
)

func main() { os.Exit(step.Main(catalog.Rollback, stepinput.Bounded(run))) }
