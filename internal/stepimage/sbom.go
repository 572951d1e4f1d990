package stepimage

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"runtime/debug"
	"sort"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// SBOMPredicateType is the in-toto predicate type the SBOM is attested
// with (cosign attest --type cyclonedx).
const SBOMPredicateType = "https://cyclonedx.org/bom"

// sbom describes an image as a CycloneDX document: the image, each
// platform's binary with its Go toolchain and modules (from the binary's
// build information), and busybox in the debug variant. It has no
// timestamp and a serial number derived from the image digest, so the same
// image gives the same document.
func sbom(img *Image, busybox map[Platform]*busyboxFiles, opts Options) ([]byte, error) {
	bom := cdx.NewBOM()
	sum := sha256.Sum256([]byte("aviary sbom " + img.Digest.String()))
	bom.SerialNumber = "urn:uuid:" + uuid(sum[:16])
	imageRef := "image:" + img.Step
	bom.Metadata = &cdx.Metadata{
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{
			Type: cdx.ComponentTypeApplication, Name: "aviary hack/images",
			ExternalReferences: &[]cdx.ExternalReference{{Type: cdx.ERTypeVCS, URL: opts.Source.Repository}},
		}}},
		Component: &cdx.Component{
			BOMRef: imageRef, Type: cdx.ComponentTypeContainer,
			Name: img.Step, Version: opts.Version,
			Hashes:     &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: img.Digest.Hex}},
			PackageURL: fmt.Sprintf("pkg:oci/%s@%s", img.Step, url.PathEscape(img.Digest.String())),
			Properties: &[]cdx.Property{{Name: "aviary:variant", Value: img.Variant.String()}, {Name: "aviary:user", Value: img.Variant.User()}},
		},
	}

	components := map[string]cdx.Component{}
	deps := map[string][]string{imageRef: nil}
	for _, p := range img.Platforms {
		b := p.Binary
		binRef := fmt.Sprintf("binary:%s:%s", b.Step, p.Platform)
		deps[imageRef] = append(deps[imageRef], binRef)
		main := b.Info.Main
		c := cdx.Component{
			BOMRef: binRef, Type: cdx.ComponentTypeApplication,
			Name: "/" + b.Step, Version: opts.Version,
			Hashes:     &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: b.SHA256}},
			PackageURL: goPURL(b.Info.Path, versionOr(main.Version, opts.Version)),
			Properties: buildSettings(b.Info, p.Platform),
		}
		components[binRef] = c
		std := "pkg:golang/stdlib@" + strings.TrimPrefix(b.Info.GoVersion, "go")
		components[std] = cdx.Component{BOMRef: std, Type: cdx.ComponentTypeLibrary, Name: "stdlib", Version: b.Info.GoVersion, PackageURL: std}
		deps[binRef] = append(deps[binRef], std)
		for _, m := range b.Info.Deps {
			if m.Replace != nil {
				m = m.Replace
			}
			ref := goPURL(m.Path, m.Version)
			if _, ok := components[ref]; !ok {
				components[ref] = cdx.Component{
					BOMRef: ref, Type: cdx.ComponentTypeLibrary, Name: m.Path, Version: m.Version,
					PackageURL: ref, Hashes: moduleHash(m),
				}
			}
			deps[binRef] = append(deps[binRef], ref)
		}
		if bb := busybox[p.Platform]; bb != nil {
			ref := fmt.Sprintf("pkg:deb/debian/busybox-static@%s?arch=%s", url.QueryEscape(opts.BusyboxVersion), p.Platform.Arch)
			components[ref] = cdx.Component{
				BOMRef: ref, Type: cdx.ComponentTypeApplication, Name: "busybox-static", Version: opts.BusyboxVersion,
				PackageURL: ref, Hashes: &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: bb.sha256}},
			}
			deps[imageRef] = append(deps[imageRef], ref)
		}
	}
	var list []cdx.Component
	for _, c := range components {
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].BOMRef < list[j].BOMRef })
	bom.Components = &list
	var dl []cdx.Dependency
	for ref, on := range deps {
		on := append([]string(nil), on...)
		sort.Strings(on)
		dl = append(dl, cdx.Dependency{Ref: ref, Dependencies: &on})
	}
	sort.Slice(dl, func(i, j int) bool { return dl[i].Ref < dl[j].Ref })
	bom.Dependencies = &dl

	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	if err := enc.Encode(bom); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func versionOr(v, def string) string {
	if v == "" || v == "(devel)" {
		return def
	}
	return v
}

// goPURL is the package URL of a Go module (or main package path).
func goPURL(path, version string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	p := "pkg:golang/" + strings.Join(segs, "/")
	if version != "" {
		p += "@" + url.PathEscape(version)
	}
	return p + "?type=module"
}

// moduleHash turns a go.sum h1: hash (base64 SHA-256 of the module's file
// list) into a CycloneDX SHA-256 hash.
func moduleHash(m *debug.Module) *[]cdx.Hash {
	b64, ok := strings.CutPrefix(m.Sum, "h1:")
	if !ok {
		return nil
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != sha256.Size {
		return nil
	}
	return &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: hex.EncodeToString(raw)}}
}

// buildSettings are the binary's platform and go build settings.
func buildSettings(info *debug.BuildInfo, p Platform) *[]cdx.Property {
	props := []cdx.Property{{Name: "aviary:platform", Value: p.String()}, {Name: "go:version", Value: info.GoVersion}}
	for _, s := range info.Settings {
		props = append(props, cdx.Property{Name: "go:build:" + s.Key, Value: s.Value})
	}
	return &props
}

// uuid formats 16 bytes as a version 8 (custom) RFC 9562 UUID.
func uuid(b []byte) string {
	u := append([]byte(nil), b[:16]...)
	u[6] = u[6]&0x0f | 0x80
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
