// Package stalltest serves the peers that hang clients: a TCP listener that
// accepts connections and never answers, and an HTTP handler that answers
// with headers and then stops half-way through the body. It is for tests
// only.
package stalltest

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
)

// Silent is a TCP server on loopback that accepts every connection, reads
// what is sent and never writes a byte.
type Silent struct {
	// Addr is "127.0.0.1:<port>".
	Addr string

	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	n     int
}

// StartSilent starts a Silent server for the test and stops it, closing
// every connection, when the test ends.
func StartSilent(t testing.TB) *Silent {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Silent{Addr: ln.Addr().String(), ln: ln}
	go s.serve()
	t.Cleanup(s.Close)
	return s
}

func (s *Silent) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.n++
		s.mu.Unlock()
		go func() {
			buf := make([]byte, 4096)
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}()
	}
}

// Accepted is how many connections the server accepted.
func (s *Silent) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// Close stops listening and closes every connection.
func (s *Silent) Close() {
	_ = s.ln.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		_ = c.Close()
	}
}

// HalfBody is a handler that answers 200 with a Content-Length of size,
// writes the first half of the body and then waits until the request ends.
func HalfBody(size int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(make([]byte, size/2))
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		<-r.Context().Done()
	})
}
