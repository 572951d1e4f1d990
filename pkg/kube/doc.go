// Package kube is aviary's edge to the Kubernetes API: building clients from a
// kubeconfig and context (built-in kinds over protobuf, custom resources
// over JSON), server-side apply of arbitrary manifests under one field
// manager ("aviary"), or of only those that would change, read with one
// list per kind (ApplyChanged, AnnotationApplied); waiting for Deployments
// to become ready, a Lease-based lock that keeps two pipelines from acting
// on one namespace at once (waiting a bounded time for another run's lock, and taking over the
// lock of a run that died once its lease runs out), and the retry and error
// classification every caller shares. Every request is bounded by
// Options.RequestTimeout (package stall).
//
// Errors leave this package classified: an unreachable API server or an API
// error that outlived its retries is outcome.External (exit 3); an object the
// API server rejects as invalid is outcome.Invalid (exit 2).
package kube
