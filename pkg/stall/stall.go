package stall

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// DefaultTimeout is the request timeout when none is given.
const DefaultTimeout = 30 * time.Second

// Error is a peer that stopped answering: Addr did not accept the
// connection (Op "connect"), sent nothing (Op "read") or took nothing (Op
// "write") for After while the call waited on it.
type Error struct {
	Op    string
	Addr  string
	After time.Duration
}

func (e *Error) Error() string {
	switch e.Op {
	case "connect":
		return fmt.Sprintf("%s accepted no connection within %s", e.Addr, e.After)
	case "write":
		return fmt.Sprintf("%s took no data for %s", e.Addr, e.After)
	}
	return fmt.Sprintf("%s sent nothing for %s", e.Addr, e.After)
}

// Timeout reports true: a stall is a timeout (net.Error).
func (e *Error) Timeout() bool { return true }

// Temporary reports true, for the net.Error interface.
func (e *Error) Temporary() bool { return true }

// Unwrap returns os.ErrDeadlineExceeded, so that errors.Is finds the
// deadline the stall ran into.
func (e *Error) Unwrap() error { return os.ErrDeadlineExceeded }

// Is reports whether err is a stall: an *Error, or any net.Error that timed
// out (net/http's "timeout awaiting response headers", client-go's
// Client.Timeout, a context deadline).
func Is(err error) bool {
	var se *Error
	if errors.As(err, &se) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// orDefault is d, or DefaultTimeout when d is not positive.
func orDefault(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultTimeout
	}
	return d
}

// Dialer returns a dial function whose connections are bounded by d (0
// means DefaultTimeout): connecting takes at most d, and a read fails with
// an *Error once no byte has moved in either direction for d.
func Dialer(d time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d = orDefault(d)
	dialer := &net.Dialer{Timeout: d, KeepAlive: 30 * time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			var ne net.Error
			if ctx.Err() == nil && errors.As(err, &ne) && ne.Timeout() {
				return nil, &Error{Op: "connect", Addr: addr, After: d}
			}
			return nil, err
		}
		return &conn{Conn: c, idle: d, addr: addr}, nil
	}
}

// Transport returns a clone of http.DefaultTransport (proxy from the
// environment, HTTP/2, system roots) bounded by d (0 means DefaultTimeout):
// Dialer(d), the TLS handshake and the wait for response headers within
// about d.
// Idle pooled connections are closed before they could run into the bound.
func Transport(d time.Duration) *http.Transport {
	d = orDefault(d)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = Dialer(d)
	tr.TLSHandshakeTimeout = d
	// A little later than the connection's own bound, whose error names
	// the peer; this one still ends an HTTP/2 stream that gets no answer
	// on a connection kept busy by others.
	tr.ResponseHeaderTimeout = d + d/10
	tr.IdleConnTimeout = min(tr.IdleConnTimeout, d/2)
	return tr
}

// conn is a connection whose reads fail after idle without traffic.
type conn struct {
	net.Conn
	idle time.Duration
	addr string
}

// moved pushes the read deadline back: a byte moved, either way. A write
// is progress too: a reader waiting for the answer to a large upload must
// not time out while the upload moves.
func (c *conn) moved() {
	_ = c.Conn.SetReadDeadline(time.Now().Add(c.idle))
}

func (c *conn) Read(p []byte) (int, error) {
	c.moved()
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.moved()
	}
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		return n, &Error{Op: "read", Addr: c.addr, After: c.idle}
	}
	return n, err
}

func (c *conn) Write(p []byte) (int, error) {
	c.moved()
	_ = c.Conn.SetWriteDeadline(time.Now().Add(c.idle))
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.moved()
	}
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		return n, &Error{Op: "write", Addr: c.addr, After: c.idle}
	}
	return n, err
}
