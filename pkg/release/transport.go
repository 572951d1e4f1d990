package release

import (
	"net/http"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/aviary-cd/aviary/pkg/stall"
)

var (
	httpMu      sync.Mutex
	httpTimeout time.Duration = -1 // what http and https remotes are bounded by; -1: go-git's default, unbounded
)

// boundHTTPRemotes serves http and https remotes through a transport bounded
// by timeout (0 means stall.DefaultTimeout): a git server that accepts a
// connection and then says nothing fails the request instead of holding
// the step. go-git keeps its transports in a process-wide table; this
// replaces the http and https entries when the bound changes.
func boundHTTPRemotes(timeout time.Duration) {
	if timeout <= 0 {
		timeout = stall.DefaultTimeout
	}
	httpMu.Lock()
	defer httpMu.Unlock()
	if httpTimeout == timeout {
		return
	}
	httpTimeout = timeout
	// go-git clones the client's *http.Transport for a CA bundle, keeping
	// the bounds.
	c := githttp.NewClient(&http.Client{Transport: stall.Transport(timeout)})
	client.InstallProtocol("http", c)
	client.InstallProtocol("https", c)
}
