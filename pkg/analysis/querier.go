package analysis

import (
	"context"
	"errors"
	"time"
)

// Querier evaluates an instant PromQL query that yields one number. It
// returns NaN, and no error, when the query matched no data. Package
// analysis/prom implements it over the Prometheus HTTP API.
type Querier interface {
	Query(ctx context.Context, query string, at time.Time) (float64, error)
}

// ErrBadQuery is wrapped by Querier errors for queries Prometheus refused as
// malformed, or whose result is not a single number: a configuration
// mistake, not an outage.
var ErrBadQuery = errors.New("bad query")
