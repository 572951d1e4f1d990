// Command rebuild-cluster rebuilds the passive side of a blue/green from a
// release plan and, once it is ready, switches traffic to it. Today it
// drives the namespace blue/green (topology blue-green-namespaces); the
// cluster topologies wait for routing across clusters. See canary.Rebuild.
package main

import (
	"os"

	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/steps/internal/stepinput"
)

func main() { os.Exit(step.Main(catalog.RebuildCluster, stepinput.Bounded(run))) }
