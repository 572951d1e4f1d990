// Package istio is the traffic.Router for Istio: it splits a service's
// requests with one HTTP route of a VirtualService and tells versions apart
// with subsets of a DestinationRule (networking.istio.io/v1).
//
// # Ownership
//
// aviary owns exactly one HTTP route per service, found by name
// ("aviary-<service>"), and within it only the destinations and weights; a
// user's match, retries, timeout, headers and every other route of the
// VirtualService are kept as they are. Likewise it owns only the subsets it
// names in the DestinationRule.
//
// # Why not server-side apply
//
// Istio's CRD schemas declare no x-kubernetes-list-type on
// VirtualService.spec.http nor DestinationRule.spec.subsets, so for
// server-side apply both are atomic lists: applying a configuration that
// holds only aviary's route would take ownership of the whole list and
// delete every route the user wrote. The router therefore reads the object,
// changes its own route in place and writes it back with Update, guarded by
// the resourceVersion it read (optimistic concurrency); a conflict re-reads
// and re-applies the change (client-go's RetryOnConflict). A write that would
// change nothing is skipped, so re-running a step writes nothing.
package istio
