package canary

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// Labels and annotations aviary puts on what it deploys.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "aviary"
	LabelService   = "aviary.dev/service"
	LabelVersion   = "aviary.dev/version"
	LabelApp       = "app"
	// LabelIstioVersion is Istio's version label: its telemetry reports
	// it as destination_version. aviary sets it to LabelVersion's value.
	LabelIstioVersion = "version"

	AnnotationVersion  = "aviary.dev/version"
	AnnotationPlan     = "aviary.dev/plan"
	AnnotationImage    = "aviary.dev/image"
	AnnotationSpecHash = "aviary.dev/spec-hash"
	AnnotationReplicas = "aviary.dev/replicas"
	AnnotationRole     = "aviary.dev/role"
)

// What a Deployment is for, recorded on it in AnnotationRole. These are
// roles of Deployments, apart from the topology's target roles
// (config.Role: where a side runs). A Deployment deployed to serve (a
// first release, a canary, a promoted canary) carries none: the record
// says which version is stable; the annotation marks one taken out of
// service (passive, retired) and one a rollback brought back (stable).
const (
	DeploymentStable  = "stable"
	DeploymentCanary  = "canary"
	DeploymentPassive = "passive"
	DeploymentRetired = "retired"
)

var notSlug = regexp.MustCompile(`[^a-z0-9]+`)

const maxName = 63

// DeploymentName is the name of the Deployment running version of service:
// <service>-v<slug>, the slug being the version lower-cased with every run
// of other characters turned into one hyphen (1.4.0-rc.1 → 1-4-0-rc-1). A
// name over 63 characters is cut and ends in a hash of the version, so that
// it stays unique.
func DeploymentName(service, version string) string {
	slug := strings.Trim(notSlug.ReplaceAllString(strings.ToLower(version), "-"), "-")
	name := service + "-v" + slug
	if len(name) <= maxName {
		return name
	}
	h := shortHash(version)
	keep := maxName - len(h) - 1
	return strings.TrimRight(name[:keep], "-") + "-" + h
}

var notLabel = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// VersionValue is version as a label value (of LabelVersion and
// LabelIstioVersion): characters labels cannot hold
// (the + of build metadata) become underscores, and a value over 63
// characters is cut and ends in a hash.
func VersionValue(version string) string {
	v := notLabel.ReplaceAllString(version, "_")
	v = strings.Trim(v, "._-")
	if len(v) <= maxName {
		return v
	}
	h := shortHash(version)
	return strings.TrimRight(v[:maxName-len(h)-1], "._-") + "-" + h
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:8]
}
