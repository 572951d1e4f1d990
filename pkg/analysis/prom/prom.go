// Package prom is the Prometheus client of the metric analysis: an
// analysis.Querier over the Prometheus HTTP API (client_golang's
// api/prometheus/v1). It lives apart from package analysis so that the
// packages that only need the analysis settings (the step catalog, the
// release config) do not link the client.
package prom

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/aviary-cd/aviary/pkg/analysis"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/stall"
)

// Client queries one Prometheus server.
type Client struct {
	api promv1.API
}

var _ analysis.Querier = (*Client)(nil)

// New returns a client of the Prometheus at address, an http or https base
// URL. A nil rt is stall.Transport(stall.DefaultTimeout): no query waits on
// a silent Prometheus for longer. Transient failures (429, 5xx, resets,
// stalls) are retried, Attempts tries in all. A bad address is
// outcome.Invalid.
func New(address string, rt http.RoundTripper) (*Client, error) {
	u, err := url.Parse(address)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, outcome.Invalidf("prometheus address: not an http or https URL")
	}
	if rt == nil {
		rt = stall.Transport(stall.DefaultTimeout)
	}
	c, err := api.NewClient(api.Config{Address: address, RoundTripper: retrying(rt)})
	if err != nil {
		return nil, outcome.Invalidf("prometheus address: %w", err)
	}
	return &Client{api: promv1.NewAPI(c)}, nil
}

// Query evaluates query at time at and returns its single number, NaN when
// the query matched no data. A query Prometheus refuses as malformed, or
// whose result is more than one series or not a number, is an error
// wrapping analysis.ErrBadQuery: a check must aggregate to one number.
func (c *Client) Query(ctx context.Context, query string, at time.Time) (float64, error) {
	v, _, _, err := c.api.Query(ctx, query, at)
	if err != nil {
		var apiErr *promv1.Error
		if errors.As(err, &apiErr) && apiErr.Type == promv1.ErrBadData {
			return math.NaN(), fmt.Errorf("querying prometheus: %w: %s", analysis.ErrBadQuery, apiErr.Msg)
		}
		if stall.Is(err) && ctx.Err() == nil {
			return math.NaN(), fmt.Errorf("querying prometheus: no answer within the request timeout, %d tries: %w", Attempts, err)
		}
		return math.NaN(), fmt.Errorf("querying prometheus: %w", err)
	}
	switch v := v.(type) {
	case model.Vector:
		switch len(v) {
		case 0:
			return math.NaN(), nil
		case 1:
			return float64(v[0].Value), nil
		default:
			return math.NaN(), fmt.Errorf("querying prometheus: %w: %d series, want one (aggregate with sum, max, ...)", analysis.ErrBadQuery, len(v))
		}
	case *model.Scalar:
		return float64(v.Value), nil
	default:
		return math.NaN(), fmt.Errorf("querying prometheus: %w: result is a %s, want a vector or scalar", analysis.ErrBadQuery, v.Type())
	}
}
