// Command shift-weight moves the share of requests a release's canaries
// get: to one weight, or along a schedule of weights with a pause between
// them, judged by a gate at every step. See package canary.
package main

import (
	"os"

	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/steps/internal/stepinput"
)

func main() { os.Exit(step.Main(catalog.ShiftWeight, stepinput.Bounded(run))) }
