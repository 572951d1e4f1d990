package config

import "github.com/aviary-cd/aviary/pkg/analysis"

// Duration is a time.Duration written as Go duration text ("30s", "5m") in
// YAML and JSON. It is the analysis package's type, so that the whole config
// writes durations one way.
type Duration = analysis.Duration
