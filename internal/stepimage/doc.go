// Package stepimage builds aviary's step images without a Docker engine: for
// each step an OCI image index over linux/amd64 and linux/arm64, each
// platform one layer holding the step's static binary at /<step>, the
// Mozilla CA roots (from golang.org/x/crypto/x509roots, so the layer does
// not depend on the build machine) and passwd/group entries for root and
// nonroot (65532).
//
// Variants differ only in what sits on top of that layer:
//
//   - "" (the default) runs as 65532:65532; Tekton runs it with a
//     securityContext that says the same.
//   - "root" is the same layer with user 0: a GitHub Docker action must run
//     as root, because the workspace and the file-command files
//     (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) belong to the runner's user.
//   - "debug" adds busybox (/busybox, /bin/sh) below the step layer and runs
//     as 65532: GitLab runs a job's script with a shell from the image.
//
// Builds are reproducible: binaries are built with -trimpath and
// -buildvcs=false, every file and the image config carry the epoch
// (SOURCE_DATE_EPOCH, default 0), layers are gzip-compressed by the Go
// standard library, so the same source, Go toolchain and busybox give the
// same digests.
//
// Each built image also carries, outside the image, what a release attests
// about it: a CycloneDX SBOM made from the binaries' Go build information and
// an in-toto SLSA v1 provenance statement. The package never signs: the
// release signs and attests with cosign (see hack/images and
// .github/workflows/release.yml).
package stepimage
