package toolcache

import (
	"fmt"
	"time"
)

// Missing returns the named tools that neither the environment provides
// nor the cache holds: those Ensure would build.
func Missing(names ...string) ([]Tool, error) {
	dir, err := CacheDir()
	if err != nil {
		return nil, err
	}
	var out []Tool
	for _, name := range names {
		tool, ok := Lookup(name)
		if !ok {
			return nil, fmt.Errorf("unknown tool %q", name)
		}
		if _, ok := existing(tool); ok || isExecutable(target(dir, tool)) {
			continue
		}
		out = append(out, tool)
	}
	return out, nil
}

// parallelEfficiency is the share of the cores' time that builds of the
// tools keep busy when two run at once. Replaying go build's action trace
// of the cold Kubernetes build (its first two thirds) on two workers kept
// them 99 % busy; the module loading each build starts with and the links
// at its end are single-threaded, hence 0.9.
const parallelEfficiency = 0.9

// maxUsefulCores caps how many cores the estimate counts: the build
// graphs narrow to a few packages at a time near their ends.
const maxUsefulCores = 4

// Estimate says what building tools takes with an empty Go build cache:
// the CPU time (the sum of their ColdCPU) and the wall time on cores idle
// cores. Both are estimates from one machine's measurements; a busy
// machine takes longer, and a warm Go build cache far less.
func Estimate(tools []Tool, cores int) (cpu, wall time.Duration) {
	for _, t := range tools {
		cpu += t.ColdCPU
	}
	useful := float64(min(max(cores, 1), maxUsefulCores))
	if useful > 1 {
		useful *= parallelEfficiency
	}
	return cpu, time.Duration(float64(cpu) / useful)
}
