package stall_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aviary-cd/aviary/internal/stalltest"
	"github.com/aviary-cd/aviary/pkg/stall"
)

const bound = 300 * time.Millisecond

// TestTransportEndsStalls: a peer that accepts and never answers, and one
// that stops half-way through a body, fail within about the bound with a
// timeout naming the peer; a slow body that keeps moving is read whole.
func TestTransportEndsStalls(t *testing.T) {
	silent := stalltest.StartSilent(t)
	half := httptest.NewServer(stalltest.HalfBody(1 << 20))
	t.Cleanup(half.Close)
	trickle := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "6")
		for range 6 { // 6 bytes over about 3 bounds, never a bound apart
			_, _ = w.Write([]byte("x"))
			w.(http.Flusher).Flush()
			time.Sleep(bound / 2)
		}
	}))
	t.Cleanup(trickle.Close)

	tests := []struct {
		name     string
		url      string
		wantBody int
		wantErr  string
	}{
		{"no answer", "http://" + silent.Addr + "/v2/", 0, silent.Addr + " sent nothing for 300ms"},
		{"half a body", half.URL, 0, "sent nothing for 300ms"},
		{"slow but moving", trickle.URL, 6, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := &http.Client{Transport: stall.Transport(bound)}
			start := time.Now()
			n, err := get(client, tt.url)
			took := time.Since(start)
			if tt.wantErr == "" {
				if err != nil || n != tt.wantBody {
					t.Fatalf("GET %s = %d bytes, %v; want %d bytes", tt.url, n, err, tt.wantBody)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !stall.Is(err) {
				t.Fatalf("GET %s error = %v, want a stall with %q", tt.url, err, tt.wantErr)
			}
			if took > 3*bound {
				t.Errorf("GET %s took %s, want about %s", tt.url, took, bound)
			}
		})
	}
}

func get(client *http.Client, url string) (int, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return len(b), err
}

// TestDialerNamesThePeer: a read on a silent connection fails with an
// *Error naming the address, and the context still cancels a dial.
func TestDialerNamesThePeer(t *testing.T) {
	silent := stalltest.StartSilent(t)
	c, err := stall.Dialer(bound)(context.Background(), "tcp", silent.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	_, err = c.Read(make([]byte, 1))
	var se *stall.Error
	if !errors.As(err, &se) || se.Addr != silent.Addr || se.Op != "read" {
		t.Fatalf("Read() error = %v, want a read *stall.Error for %s", err, silent.Addr)
	}
	if want := silent.Addr + " sent nothing for 300ms"; err.Error() != want {
		t.Errorf("Read() error = %q, want %q", err, want)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := stall.Dialer(bound)(ctx, "tcp", silent.Addr); !errors.Is(err, context.Canceled) {
		t.Errorf("Dialer() with a canceled context = %v, want context.Canceled", err)
	}
}

func TestIs(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&stall.Error{Op: "read", Addr: "x:1", After: time.Second}, true},
		{context.DeadlineExceeded, true},
		{errors.New("connection refused"), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := stall.Is(tt.err); got != tt.want {
			t.Errorf("Is(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
