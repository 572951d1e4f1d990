package prom

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/stalltest"
	"github.com/aviary-cd/aviary/pkg/stall"
)

const answer = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"99.5"]}]}}`

// TestQuerySurvivesFaults: the first answer fails (a stall, a cut-off
// answer, a reset, 503, 429 with Retry-After); the retry gets the number.
func TestQuerySurvivesFaults(t *testing.T) {
	faults := map[string]func(w http.ResponseWriter, r *http.Request){
		"stall": func(w http.ResponseWriter, r *http.Request) {
			r.ParseForm() // a server notices a client gone only once the body is read
			<-r.Context().Done()
		},
		"half an answer": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "200")
			w.Write([]byte(answer[:20]))
		},
		"reset": func(w http.ResponseWriter, r *http.Request) {
			c, _, _ := w.(http.Hijacker).Hijack()
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		},
		"503":             func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) },
		"429 Retry-After": func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Retry-After", "1"); w.WriteHeader(429) },
	}
	for name, fault := range faults {
		t.Run(name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					fault(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(answer))
			}))
			defer srv.Close()
			c, err := New(srv.URL, stall.Transport(300*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			v, err := c.Query(t.Context(), "sum(up)", time.Now())
			if err != nil || v != 99.5 {
				t.Errorf("Query() = %v, %v; want 99.5 from the second try", v, err)
			}
		})
	}
}

// TestQueryEndsOnASilentPrometheus: a Prometheus that accepts and never
// answers fails the query after its tries, saying so, instead of holding
// the analysis forever.
func TestQueryEndsOnASilentPrometheus(t *testing.T) {
	silent := stalltest.StartSilent(t)
	c, err := New("http://"+silent.Addr, stall.Transport(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Query(t.Context(), "sum(up)", time.Now())
	if err == nil || !strings.Contains(err.Error(), "no answer within the request timeout, 3 tries") || !strings.Contains(err.Error(), silent.Addr) {
		t.Fatalf("Query() error = %v, want a stall naming %s", err, silent.Addr)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Query() took %s, want 3 tries of 200ms and the waits between", took)
	}
}
