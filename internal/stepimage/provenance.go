package stepimage

import (
	"encoding/json"
	"fmt"

	prov "github.com/in-toto/attestation/go/predicates/provenance/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// Provenance identifiers.
const (
	// ProvenancePredicateType is SLSA provenance v1 (cosign attest --type
	// slsaprovenance1).
	ProvenancePredicateType = "https://slsa.dev/provenance/v1"
	// BuildType names how hack/images builds: its parameters are the step,
	// variant and platforms, with the Go toolchain and flags as internal
	// parameters.
	BuildType = "https://github.com/aviary-cd/aviary/blob/main/images/README.md#build-type-v1"
)

// provenance is the in-toto statement, with SLSA provenance v1 as its
// predicate, of an image: the subjects are the index and each platform's
// image; the resolved dependencies are the source revision and, for the
// debug variant, busybox; the byproducts are the binaries.
func provenance(img *Image, busybox map[Platform]*busyboxFiles, opts Options) (statement, predicate []byte, err error) {
	platforms := make([]any, 0, len(img.Platforms))
	var subjects []*intoto.ResourceDescriptor
	subjects = append(subjects, &intoto.ResourceDescriptor{Name: img.Step, Digest: map[string]string{"sha256": img.Digest.Hex}})
	var byproducts []*intoto.ResourceDescriptor
	goVersion := ""
	for _, p := range img.Platforms {
		platforms = append(platforms, p.Platform.String())
		subjects = append(subjects, &intoto.ResourceDescriptor{
			Name: img.Step + " " + p.Platform.String(), Digest: map[string]string{"sha256": p.Digest.Hex},
		})
		byproducts = append(byproducts, &intoto.ResourceDescriptor{
			Name: "/" + img.Step + " " + p.Platform.String(), Digest: map[string]string{"sha256": p.Binary.SHA256},
		})
		goVersion = p.Binary.Info.GoVersion
	}
	ext, err := structpb.NewStruct(map[string]any{
		"step":      img.Step,
		"variant":   img.Variant.String(),
		"platforms": platforms,
		"version":   opts.Version,
		"source":    map[string]any{"repository": opts.Source.Repository, "ref": opts.Source.Ref},
	})
	if err != nil {
		return nil, nil, err
	}
	flags := make([]any, len(BuildFlags))
	for i, f := range BuildFlags {
		flags[i] = f
	}
	internal, err := structpb.NewStruct(map[string]any{
		"goVersion":   goVersion,
		"goBuildArgs": flags,
		"env":         map[string]any{"CGO_ENABLED": "0"},
		"epoch":       opts.Epoch.Unix(),
		"user":        img.Variant.User(),
	})
	if err != nil {
		return nil, nil, err
	}
	pred := &prov.Provenance{
		BuildDefinition: &prov.BuildDefinition{
			BuildType: BuildType, ExternalParameters: ext, InternalParameters: internal,
			ResolvedDependencies: resolvedDependencies(img, busybox, opts, goVersion),
		},
		RunDetails: &prov.RunDetails{
			Builder:    &prov.Builder{Id: opts.Builder},
			Byproducts: byproducts,
		},
	}
	if opts.InvocationID != "" {
		pred.RunDetails.Metadata = &prov.BuildMetadata{InvocationId: opts.InvocationID}
	}
	if err := pred.Validate(); err != nil {
		return nil, nil, fmt.Errorf("checking the provenance: %w", err)
	}
	predStruct, err := toStruct(pred)
	if err != nil {
		return nil, nil, err
	}
	st := &intoto.Statement{Type: intoto.StatementTypeUri, Subject: subjects, PredicateType: ProvenancePredicateType, Predicate: predStruct}
	if err := st.Validate(); err != nil {
		return nil, nil, fmt.Errorf("checking the statement: %w", err)
	}
	if statement, err = canonical(st); err != nil {
		return nil, nil, err
	}
	if predicate, err = canonical(pred); err != nil {
		return nil, nil, err
	}
	return statement, predicate, nil
}

// resolvedDependencies are what went into the image: the source commit,
// the Go toolchain and, in the debug variant, each platform's busybox.
func resolvedDependencies(img *Image, busybox map[Platform]*busyboxFiles, opts Options, goVersion string) []*intoto.ResourceDescriptor {
	var deps []*intoto.ResourceDescriptor
	if opts.Source.Revision != "" {
		uri := "git+" + opts.Source.Repository
		if opts.Source.Ref != "" {
			uri += "@" + opts.Source.Ref
		}
		deps = append(deps, &intoto.ResourceDescriptor{Uri: uri, Digest: map[string]string{"gitCommit": opts.Source.Revision}})
	}
	if goVersion != "" {
		deps = append(deps, &intoto.ResourceDescriptor{Name: "go", Uri: "pkg:golang/stdlib@" + goVersion[2:]})
	}
	if img.Variant != Debug {
		return deps
	}
	for _, p := range img.Platforms {
		if bb := busybox[p.Platform]; bb != nil {
			deps = append(deps, &intoto.ResourceDescriptor{
				Name:   "busybox-static " + p.Platform.String(),
				Uri:    fmt.Sprintf("pkg:deb/debian/busybox-static@%s?arch=%s", opts.BusyboxVersion, p.Platform.Arch),
				Digest: map[string]string{"sha256": bb.sha256},
			})
		}
	}
	return deps
}

// toStruct converts a message to a structpb.Struct through its JSON.
func toStruct(m proto.Message) (*structpb.Struct, error) {
	raw, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	s := &structpb.Struct{}
	if err := protojson.Unmarshal(raw, s); err != nil {
		return nil, err
	}
	return s, nil
}

// canonical is the message's JSON with sorted keys and no insignificant
// whitespace (protojson's own output varies on purpose; encoding/json sorts
// map keys).
func canonical(m proto.Message) ([]byte, error) {
	raw, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}
