// Package registry reaches OCI registries and local OCI image layouts for
// aviary, on top of oras-go v2.
//
// References: ParseReference reads registry/repository[:tag][@digest] and
// oci-layout:<dir>[:tag][@digest]. Client.Target opens either as an
// oras.Target. A layout is read from regular files only: a named pipe,
// device or socket in it would block the reader or never end, and is
// outcome.Invalid.
//
// Transport, the same for every step:
//
//   - TLS is verified. Custom CAs come from the system pool, which honours
//     SSL_CERT_FILE and SSL_CERT_DIR, or from Options.Transport.
//   - Plain HTTP only for loopback hosts, or any host with Options.Insecure.
//     Those hosts are probed once, as crane does: a host that speaks TLS gets
//     HTTPS (and its certificate is verified), otherwise HTTP.
//   - Every try is bounded by Options.RequestTimeout (default 30s) while the
//     registry is silent: connecting, the TLS handshake, the response
//     headers, any pause in a body (package stall). Answers up to 4 MiB are
//     read whole within the try.
//   - Retries with exponential backoff (oras-go's retry transport) on
//     connection resets, refusals and drops, answers cut off half-way,
//     stalls, 408, 429 (honouring Retry-After) and 5xx: at most
//     Options.Attempts tries, default 5.
//   - Credentials belong to one host: Options.Username/Password go to
//     Options.CredentialHost alone (required with them), every other host
//     gets its own entry of the Docker config — DOCKER_CONFIG or
//     ~/.docker/config.json, with its credential helpers — through oras-go's
//     credentials.NewStoreFromDocker, as docker, oras and crane read it.
//     Whatever a host gets is sent to that host only: a bearer token realm on
//     another host, or on plain HTTP off loopback without Options.Insecure,
//     is asked for an anonymous token (Docker Hub's auth.docker.io is the one
//     cross-host realm trusted). Token realms on loopback are accepted only
//     for loopback registries.
//
// Client.Classify turns what is left after the retries into outcomes: refused
// credentials are outcome.External with "wrong credentials for <host>" (or
// "wrong or missing" when none were given explicitly); any other failure is
// outcome.External naming the registry. Not-found is left to the caller
// (IsNotFound).
//
// Client.ResolveImages resolves many image tags to digests concurrently,
// bounded, with a manifest HEAD each (oras Resolve: one round trip, shared
// connections and tokens), and reports every missing image at once
// (outcome.Invalid, *NotFoundError).
package registry
