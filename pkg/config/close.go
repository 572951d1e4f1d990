package config

import "time"

// Canary policy defaults, applied by Close.
var (
	DefaultSteps = []int{5, 10, 25, 50}
	DefaultPause = 30 * time.Second
)

// Close returns a copy of the config with every default applied, the form a
// release plan carries: later steps read concrete values and never apply
// defaults of their own. Image tags are not filled in here; the plan records
// the tag it resolved per service.
func (c Config) Close() Config {
	c.Services = append([]Service(nil), c.Services...)
	c.Topology.Targets = append([]Target(nil), c.Topology.Targets...)
	if len(c.Canary.Steps) == 0 {
		c.Canary.Steps = append([]int(nil), DefaultSteps...)
		// Keep the schedule above an initial weight the user set.
		for len(c.Canary.Steps) > 0 && c.Canary.Steps[0] <= c.Canary.InitialWeight {
			c.Canary.Steps = c.Canary.Steps[1:]
		}
	} else {
		c.Canary.Steps = append([]int(nil), c.Canary.Steps...)
	}
	if c.Canary.Pause.Duration == 0 {
		c.Canary.Pause.Duration = DefaultPause
	}
	c.Canary.Analysis = c.Canary.Analysis.WithDefaults()
	return c
}
