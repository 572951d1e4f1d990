// Package canary runs a release's canary on a cluster: deploy the changed
// services beside the stable ones, shift traffic to them, promote them, or
// roll them back. The steps deploy-canary, shift-weight, promote and
// rollback are thin commands over Deploy, Shift, Promote and Rollback; the
// namespace blue/green of rebuild-cluster is Rebuild.
//
// # Objects
//
// Every version of a service runs as a Deployment of its own, named
// <service>-v<version slug> (cart-v1-4-0) and labelled app=<service>,
// aviary.dev/service=<service> and aviary.dev/version=<version>; its images
// are pinned by digest. The Service selects on app alone, so it spans every
// version; the mesh tells versions apart with the DestinationRule subsets
// "stable" and "canary", which select the version label, and splits requests
// with aviary's own route ("aviary-<service>") of the VirtualService named
// after the service (see package traffic/istio for what is owned).
//
// # State
//
// The VirtualService's annotations are the record of where a service stands,
// written in the same update as the weights:
//
//	aviary.dev/stable-version    version the stable subset serves
//	aviary.dev/canary-version    version under test, if any
//	aviary.dev/previous-version  version kept passive after a promotion
//	aviary.dev/weight            canary weight in percent
//	aviary.dev/phase             stable, canary, promoting, promoted, rolled-back
//	aviary.dev/plan              plan reference of the last change
//
// # Re-running
//
// Every operation reads the cluster first and converges it to the state it
// stands for, in an order in which each intermediate state routes only to
// ready versions. A step killed anywhere leaves a state that running the same
// step again completes; running a step twice leaves the same state as once.
package canary
