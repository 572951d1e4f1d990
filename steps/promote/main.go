// Command promote makes a release's canaries stable: all traffic to the new
// versions, the previous ones kept passive for an instant rollback. See
// package canary.
package main

import (
	"os"

	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/steps/internal/stepinput"
)

func main() { os.Exit(step.Main(catalog.Promote, stepinput.Bounded(run))) }
