// Package stall keeps aviary's network calls from waiting forever on a peer
// that accepts a connection and then says nothing: a registry, an API
// server, Prometheus, a webhook or a git remote that hangs.
//
// One duration, the request timeout, bounds every phase of a call that
// waits on the peer: connecting, the TLS handshake, the wait for response
// headers, and each gap in which no byte moves in either direction while a
// request is under way (a body that stops half-way). A large body that keeps
// moving is never cut; a silent peer is.
//
// Dialer gives that bound to any client that takes a dial function
// (client-go's rest.Config.Dial); Transport is an *http.Transport with it
// built in, for the clients aviary builds itself. A connection that goes
// silent fails its read with an *Error, which is a net.Error whose Timeout is
// true, so that the retry policies that retry timeouts retry it. Retries
// themselves, and the error a step reports, belong to each client's package.
package stall
