package signature

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/registry"
)

// ReportArtifactType is the artifactType of the referrer that carries a
// verification report, attached to the plan it verified.
const ReportArtifactType = "application/vnd.aviary.verification-report.v1+json"

// JSON encodes the report for people and auditors (indented).
func (r Report) JSON() ([]byte, error) {
	return json.MarshalIndent(r, "", "  ")
}

// AttachReport attaches the report to the plan it is about as an OCI 1.1
// referrer (subject: the plan's manifest; artifactType ReportArtifactType;
// one layer, the JSON report), so that auditors find what was verified,
// when and against what with `oras discover`. It returns the referrer's
// manifest digest. Registry failures are outcome.External.
func AttachReport(ctx context.Context, client *registry.Client, r Report) (digest.Digest, error) {
	ref, err := registry.ParseReference(r.Plan)
	if err != nil {
		return "", err
	}
	if ref.Digest == "" {
		return "", outcome.Invalidf("attaching the report: plan %s is not referenced by digest", r.Plan)
	}
	data, err := r.JSON()
	if err != nil {
		return "", fmt.Errorf("encoding the report: %w", err)
	}
	target, err := client.Target(ctx, ref, false)
	if err != nil {
		return "", client.Classify(err, host(ref))
	}
	fail := func(err error) (digest.Digest, error) {
		return "", client.Classify(fmt.Errorf("attaching the report to %s: %w", r.Plan, err), host(ref))
	}
	subject, err := target.Resolve(ctx, ref.Digest.String())
	if err != nil {
		return fail(err)
	}
	layer := content.NewDescriptorFromBytes(ReportArtifactType, data)
	if err := pushBlob(ctx, target, layer, data); err != nil {
		return fail(err)
	}
	layer.Annotations = map[string]string{ocispec.AnnotationTitle: "verification-report.json"}
	verdict := "failed"
	if r.Verified {
		verdict = "verified"
	}
	desc, err := oras.PackManifest(ctx, target, oras.PackManifestVersion1_1, ReportArtifactType, oras.PackManifestOptions{
		Subject: &subject,
		Layers:  []ocispec.Descriptor{layer},
		ManifestAnnotations: map[string]string{
			ocispec.AnnotationCreated:        r.VerifiedAt.UTC().Format(time.RFC3339),
			"dev.aviary.verification.result": verdict,
		},
	})
	if err != nil {
		return fail(err)
	}
	return desc.Digest, nil
}
