// Package canary runs a release on the places its topology names: deploy
// the changed services on the canary side, shift traffic to them, promote
// them, or roll them back; or rebuild a passive side whole and switch to it
// (or, for gateway-routed-clusters, rebuild the release side in place), once
// it is ready and its optional gate (Gate) lets it through. The steps deploy-canary, shift-weight, promote, rollback and
// rebuild-cluster are thin commands over Deploy, Shift, Promote, Rollback
// and Rebuild.
//
// # One engine for every topology
//
// An Env holds a topology.Placement (the sides, each a role, a kubeconfig
// context, an Istio cluster ID, a namespace and the services it runs, and
// the places of the route objects), a Clusters resolver that connects to
// each kubeconfig context once, a MeshFactory that gives each cluster its
// router (Istio is the one mesh), and a Records store. Every operation reads
// the state of its services on every side and at every route place at once
// (snapshot), decides from it, and writes only what differs, fanned out in
// parallel across services and places. What a route says at each moment
// comes from the placement's topology.Strategy: version subsets of one
// host, a host per namespace, subsets per cluster, or a remote host. The
// operations never ask which topology they run.
//
// # Blue/green
//
// Rebuild builds a blue/green topology's passive side whole and switches
// to it at once, or begins a stepped switch (RebuildOptions.Stepped): the
// side switched to then plays the canary's part and the side serving the
// stable one, and on a topology without a canary side
// (topology.Placement.SteppedSwitch) Shift, Promote and Rollback move,
// complete or undo that switch, and Testing names its sides for the
// analysis. The records say a switch is in progress (Record.Switching).
//
// # Objects
//
// Every version of a service runs as a Deployment of its own, named
// <service>-v<version slug> (cart-v1-4-0) and labelled app=<service>,
// aviary.dev/service=<service> and aviary.dev/version=<version>, its pods
// also version=<version> (Istio's label); its images are pinned by digest.
// The Service selects on app alone, so it spans every version on its side.
// The mesh tells versions apart with the DestinationRule subsets "stable"
// and "canary" of each host, and splits requests with aviary's own route
// ("aviary-<service>") of the VirtualService named after the service (see
// package traffic/istio for what is owned). Promote leaves the canary
// subset in place once it selects what the stable one does (the promoted
// version): harmless, and the next canary takes it over, which saves a
// DestinationRule write per service (a rollback after it drops it).
//
// # State
//
// Where a service stands is its Record (phase, stable, canary and previous
// versions, the active side of a blue/green, the plan of the last change),
// kept apart from the route objects through the Records interface; by
// default in a ConfigMap per service, aviary-record-<service>, beside the
// route and the lock.
//
// # Re-running
//
// Every operation reads the clusters first and converges them to the state
// it stands for, in an order in which each intermediate state routes only to
// ready versions. A step killed anywhere leaves a state that running the same
// step again completes; running a step twice leaves the same state as once.
package canary
