// Package traffic decides and applies how a service's requests are split
// between the places its versions run.
//
// The decision is pure: Desired turns weighted groups of destinations (the
// stable side of a service, its canaries; a group may hold one destination
// per cluster) into weights that always add up to 100, and Resume says which
// steps of a schedule are still ahead. Which destinations a topology has is
// package topology's decision. Applying a decision is the job of a Router, one implementation per
// mesh in a package of its own (traffic/istio); routers apply exactly what
// they are given and never compute weights themselves. This split follows
// Argo Rollouts (weight arithmetic outside the mesh packages) and Flagger
// (the controller computes the next weight, the router only writes it).
package traffic
