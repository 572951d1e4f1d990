package devenv

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestSourceOutcome: what a client's sidecar reports for each way a call
// can end.
func TestSourceOutcome(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		code     int
		grpcCode codes.Code
		flags    string
	}{
		{"answered", nil, 200, codes.OK, "-"},
		{"gRPC error over HTTP 200", status.Error(codes.NotFound, "no such cart"), 200, codes.NotFound, "-"},
		{"HTTP 503", status.Error(codes.Unavailable, "unexpected HTTP status code received from server: 503 (Service Unavailable)"), 503, codes.Unavailable, "-"},
		{"HTTP 500", status.Error(codes.Unknown, "unexpected HTTP status code received from server: 500 (Internal Server Error)"), 500, codes.Unknown, "-"},
		{"no connection", status.Error(codes.Unavailable, "connection refused"), 503, codes.Unavailable, "UF"},
		{"deadline", status.Error(codes.DeadlineExceeded, "context deadline exceeded"), 504, codes.DeadlineExceeded, "UT"},
		{"canceled", status.FromContextError(context.Canceled).Err(), 0, codes.Canceled, "DC"},
		{"not a status", errors.New("boom"), 200, codes.Unknown, "-"},
	}
	for _, tt := range tests {
		code, grpcCode, flags := sourceOutcome(tt.err)
		if code != tt.code || grpcCode != tt.grpcCode || flags != tt.flags {
			t.Errorf("%s: sourceOutcome(%v) = %d, %v, %q; want %d, %v, %q", tt.name, tt.err, code, grpcCode, flags, tt.code, tt.grpcCode, tt.flags)
		}
	}
}

func TestSplitHost(t *testing.T) {
	for _, tt := range []struct{ in, name, ns string }{
		{"cart.shop.svc.cluster.local", "cart", "shop"},
		{"cart.shop.svc.cluster.local:80", "cart", "shop"},
		{"cart", "cart", ""},
		{"cart:8080", "cart", ""},
	} {
		name, ns := splitHost(tt.in)
		if name != tt.name || ns != tt.ns {
			t.Errorf("splitHost(%q) = %q, %q; want %q, %q", tt.in, name, ns, tt.name, tt.ns)
		}
	}
}

func TestGRPCCodeOfHTTP(t *testing.T) {
	for code, want := range map[int]codes.Code{503: codes.Unavailable, 500: codes.Unknown, 404: codes.Unimplemented, 429: codes.Unavailable} {
		if got := grpcCodeOfHTTP(code); got != want {
			t.Errorf("grpcCodeOfHTTP(%d) = %v, want %v", code, got, want)
		}
	}
}
