// Package e2eci holds the end-to-end tests of make e2e-ci: aviary's step
// images built by hack/images, pushed to a local registry, signed and
// attested with the real cosign CLI, verified by verify-artifacts, and run as
// containers the way GitHub Actions, Tekton and GitLab CI run them, against
// a local Kubernetes control plane (internal/devenv).
//
// The tests need podman and runc (Debian packages), the toolcache's act
// and cosign-v3, and gitlab-ci-local (npm) with rsync. They run only when
// AVIARY_E2E_CI=1 (make e2e-ci sets it): then a missing tool fails them.
// Under a plain go test they skip.
package e2eci
