package prom

import (
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/pkg/analysis"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

// The answers are those of the Prometheus HTTP API's /api/v1/query.
func TestQuery(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		want    float64 // NaN: no data
		wantErr string
		bad     bool // the error wraps analysis.ErrBadQuery
	}{
		{"one sample", 200, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"99.5"]}]}}`, 99.5, "", false},
		{"empty vector is no data", 200, `{"status":"success","data":{"resultType":"vector","result":[]}}`, math.NaN(), "", false},
		{"NaN sample is no data", 200, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}`, math.NaN(), "", false},
		{"scalar", 200, `{"status":"success","data":{"resultType":"scalar","result":[1,"3"]}}`, 3, "", false},
		{"two series", 200, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[1,"1"]},{"metric":{"a":"2"},"value":[1,"2"]}]}}`, 0, "2 series, want one", true},
		{"matrix", 200, `{"status":"success","data":{"resultType":"matrix","result":[]}}`, 0, "result is a matrix", true},
		{"syntax error", 400, `{"status":"error","errorType":"bad_data","error":"1:14: parse error: unclosed left parenthesis"}`, 0, "bad query: 1:14: parse error", true},
		{"server failure", 503, `{"status":"error","errorType":"unavailable","error":"too many queries"}`, 0, "server error: 503", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = r.URL.Path + "?" + r.FormValue("query")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c, err := New(srv.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			v, err := c.Query(t.Context(), "sum(up)", time.Now())
			if got != "/api/v1/query?sum(up)" {
				t.Errorf("request = %s, want /api/v1/query?sum(up)", got)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, analysis.ErrBadQuery) != tt.bad {
					t.Errorf("Query() = %v, %v; want an error containing %q, wrapping ErrBadQuery: %v", v, err, tt.wantErr, tt.bad)
				}
				return
			}
			if err != nil || !(v == tt.want || math.IsNaN(v) && math.IsNaN(tt.want)) {
				t.Errorf("Query() = %v, %v; want %v", v, err, tt.want)
			}
		})
	}
}

func TestQueryUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	c, err := New(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Query(t.Context(), "up", time.Now()); err == nil || errors.Is(err, analysis.ErrBadQuery) {
		t.Errorf("Query(unreachable) = %v, want an error that is not ErrBadQuery", err)
	}
}

func TestNewInvalid(t *testing.T) {
	for _, addr := range []string{"", "prometheus:9090", "ftp://p"} {
		if _, err := New(addr, nil); outcome.KindOf(err) != outcome.KindInvalid {
			t.Errorf("New(%q) = %v, want an invalid outcome", addr, err)
		}
	}
}
