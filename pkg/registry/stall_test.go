package registry

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/stalltest"
	"github.com/aviary-cd/aviary/pkg/outcome"
)

// TestStalledRegistry: a registry that accepts connections and never
// answers fails every try after RequestTimeout, and the request after its
// tries, as an External error naming the registry and the stall.
func TestStalledRegistry(t *testing.T) {
	silent := stalltest.StartSilent(t)
	c := New(Options{RequestTimeout: 200 * time.Millisecond, Attempts: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.ResolveImages(ctx, []string{silent.Addr + "/shop/cart:1.0.0"}, 1)
	took := time.Since(start)
	if err == nil || outcome.KindOf(err) != outcome.KindExternal {
		t.Fatalf("ResolveImages() error = %v, want External", err)
	}
	for _, want := range []string{"registry " + silent.Addr + " stalled", "request-timeout 200ms, 2 tries", silent.Addr + " sent nothing for 200ms"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("ResolveImages() error = %v, want %q in it", err, want)
		}
	}
	// The scheme probe (5s at most) and two tries of 200ms with a wait between.
	if took > 8*time.Second {
		t.Errorf("ResolveImages() took %s, want the tries' bound", took)
	}
}

// TestStallIsRetried: a registry that stalls once answers the second try.
func TestStallIsRetried(t *testing.T) {
	var once sync.Once
	var armed atomic.Bool // after the push
	host := memRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if armed.Load() && strings.Contains(r.URL.Path, "/manifests/") {
				stalled := false
				once.Do(func() { stalled = true })
				if stalled {
					<-r.Context().Done() // say nothing until the client gives up
					return
				}
			}
			h.ServeHTTP(w, r)
		})
	})
	digest := pushImage(t, host+"/shop/cart:1.0.0")
	armed.Store(true)
	c := New(Options{RequestTimeout: 300 * time.Millisecond})
	got, err := c.ResolveImages(context.Background(), []string{host + "/shop/cart:1.0.0"}, 1)
	if err != nil {
		t.Fatalf("ResolveImages() error = %v, want the second try to answer", err)
	}
	if got[0].Digest.String() != digest {
		t.Errorf("ResolveImages() digest = %s, want %s", got[0].Digest, digest)
	}
}

// TestCutOffAnswerIsRetried: a manifest whose answer is cut off half-way
// is fetched again within the retries, not handed to the caller broken.
func TestCutOffAnswerIsRetried(t *testing.T) {
	var once sync.Once
	var armed atomic.Bool // after the push
	host := memRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cut := false
			if armed.Load() && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/") {
				once.Do(func() { cut = true })
			}
			if !cut {
				h.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte(`{"schemaVersion":`))
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // the connection ends there
		})
	})
	pushImage(t, host+"/shop/cart:1.0.0")
	armed.Store(true)
	c := New(Options{})
	repo, err := c.Repository(context.Background(), Reference{Registry: host, Repository: "shop/cart"})
	if err != nil {
		t.Fatal(err)
	}
	_, rc, err := repo.FetchReference(context.Background(), "1.0.0")
	if err != nil {
		t.Fatalf("FetchReference() error = %v, want the second try to answer", err)
	}
	defer rc.Close()
	if _, err := io.ReadAll(rc); err != nil {
		t.Errorf("reading the manifest: %v", err)
	}
}
