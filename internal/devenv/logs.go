package devenv

import (
	"io"
	"log"
)

// discardLog keeps net/http's server errors (TLS handshakes refused by test
// clients, for instance) off the test output.
func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }
