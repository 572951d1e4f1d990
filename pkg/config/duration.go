package config

import (
	"fmt"
	"time"
)

// Duration is a time.Duration written as Go duration text ("30s", "5m") in
// YAML and JSON, the one way the whole config writes durations.
type Duration struct {
	time.Duration
}

// MarshalText writes the duration as Go duration text.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// UnmarshalText reads Go duration text.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q: use Go duration text such as 30s or 5m", b)
	}
	d.Duration = v
	return nil
}

// IsZero reports whether the duration is unset; omitzero uses it.
func (d Duration) IsZero() bool { return d.Duration == 0 }
