package canary

import "github.com/aviary-cd/aviary/pkg/topology"

// Status is where a service of a release stands against the cluster.
type Status string

const (
	// First: nothing of the service runs yet; it goes straight to stable.
	First Status = "first release"
	// Unchanged: stable already runs the same manifests and image.
	Unchanged Status = "unchanged"
	// Changed: stable runs something else and this version is not deployed.
	Changed Status = "changed"
	// InCanary: this version is the canary.
	InCanary Status = "canary"
	// IsStable: this version is stable (promoted, or a first release).
	IsStable Status = "stable"
)

// Classify says where release r (rendered for the stable side) stands given
// the service's state. Change is judged on content, not version: a release
// whose manifests and image equal what the stable side runs is Unchanged
// whatever its version.
func Classify(r Release, st *ServiceState, stableSide topology.Side) Status {
	stable := st.Stable(stableSide)
	switch {
	case stable != "" && stable == r.Version && st.Record.Stable == "":
		// A first release stopped before its record, which it writes
		// last: the stable subset names the version, but its route may
		// be missing. It is routed and recorded again (writes that would
		// change nothing are not made).
		return First
	case stable != "" && stable == r.Version:
		return IsStable
	case st.Record.Canary == r.Version:
		return InCanary
	case stable == "":
		return First
	}
	if d := st.Deployment(stableSide, stable); d != nil {
		hash, image := d.Annotations[AnnotationSpecHash], d.Annotations[AnnotationImage]
		if hash == r.SpecHash || (hash == "" && image == r.Image) {
			return Unchanged
		}
	}
	return Changed
}
