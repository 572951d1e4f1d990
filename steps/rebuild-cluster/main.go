// Command rebuild-cluster rebuilds the passive side of a blue/green from a
// release plan and, once it is ready, switches traffic to it: a namespace
// (blue-green-namespaces) or a cluster of one mesh (blue-green-clusters,
// the cluster switch of active-passive-canary-namespace). See
// canary.Rebuild.
package main

import (
	"os"

	"github.com/aviary-cd/aviary/pkg/catalog"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/steps/internal/stepinput"
)

func main() { os.Exit(step.Main(catalog.RebuildCluster, stepinput.Bounded(run))) }
