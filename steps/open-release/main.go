// Command open-release computes the next semantic version of a git
// repository and opens its release branch. See package release.
package main

import (
	"os"

	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/steps/internal/stepinput"
)

func main() { os.Exit(step.Main(catalog.OpenRelease, stepinput.Bounded(run))) }
