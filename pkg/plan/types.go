package plan

import (
	"time"

	"github.com/aviary-cd/aviary/pkg/config"
)

// Identity of the plan document.
const (
	APIVersion = "aviary.dev/v1"
	Kind       = "ReleasePlan"
)

// Media types of the OCI artifact that carries a plan.
const (
	// ArtifactType is the artifactType of the plan's OCI image manifest.
	ArtifactType = "application/vnd.aviary.release-plan.v1"
	// PlanMediaType is the layer holding the plan document (canonical JSON).
	PlanMediaType = "application/vnd.aviary.release-plan.v1+json"
	// ManifestsMediaType is the layer holding the services' Kubernetes
	// manifests: a deterministic gzip-compressed tar, paths <service>/<file>.
	ManifestsMediaType = "application/vnd.aviary.manifests.v1.tar+gzip"
)

// Plan is the release plan: everything a release deploys, closed and pinned.
// Its canonical encoding (Encode) is byte-identical for identical inputs.
type Plan struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Version is the release version, semantic version without a leading v.
	Version string `json:"version"`
	// Source is the commit the release was bundled from.
	Source Source `json:"source"`
	// Config is the release config as read from the commit, with defaults
	// applied (closed): later steps never read aviary.yaml again.
	Config config.Config `json:"config"`
	// Services are the services of the release in config order, each with its
	// image pinned by digest.
	Services []Service `json:"services"`
}

// Source is where the release came from.
type Source struct {
	// Repository is the source repository URL (origin remote); may be empty.
	Repository string `json:"repository,omitempty"`
	// Commit is the full commit hash.
	Commit string `json:"commit"`
	// Time is the commit's committer time, in UTC; it also dates the artifact
	// so that its digest is reproducible.
	Time time.Time `json:"time"`
}

// Service is one service of the release.
type Service struct {
	Name string `json:"name"`
	// Image is the image pinned by digest: repository@sha256:...
	Image string `json:"image"`
	// Tag is the tag the digest was resolved from (for people; never pulled).
	Tag string `json:"tag"`
	// Port is the config's port (0 when the manifests say).
	Port int `json:"port,omitempty"`
	// Manifests are the paths of this service's files in the manifests
	// layer, <service>/<file>, sorted.
	Manifests []string `json:"manifests"`
}

// Service returns the service called name, or nil.
func (p *Plan) Service(name string) *Service {
	for i := range p.Services {
		if p.Services[i].Name == name {
			return &p.Services[i]
		}
	}
	return nil
}
