package kube

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/aviary-cd/aviary/pkg/outcome"
)

// TestStalledAPIServer: an API server that answers the probe and then
// never answers a request fails each try after RequestTimeout, and the
// call after its retries, as an External error naming the request, instead
// of holding the step forever.
func TestStalledAPIServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/version" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"major":"1","minor":"37","gitVersion":"v1.37.2"}`))
			return
		}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	c, err := NewClients(&rest.Config{Host: srv.URL}, Options{RequestTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Probe(ctx, 0); err != nil {
		t.Fatalf("Probe() = %v", err)
	}
	start := time.Now()
	_, err = c.Lock(ctx, LockOptions{Namespace: "shop", Holder: "a"})
	took := time.Since(start)
	if err == nil || outcome.KindOf(err) != outcome.KindExternal || ctx.Err() != nil {
		t.Fatalf("Lock() = %v, want External before the test's deadline", err)
	}
	for _, want := range []string{`locking namespace "shop"`, srv.URL, "did not answer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Lock() error = %v, want %q in it", err, want)
		}
	}
	if took > 15*time.Second {
		t.Errorf("Lock() took %s, want the retries' bound", took)
	}
}
