// Package source reads what a release is made of from the release commit
// of an app repository: the release version (from an input or the release
// branch), the release config, and every service's manifests. Everything
// comes from git objects, never from the work tree, so that what is bundled
// is exactly what was committed.
//
// A service's manifests are its *.yaml files or, when its directory holds a
// kustomization (kustomization.yaml), what Kustomize renders from it: in
// process, over an in-memory copy of the commit, with no network, no exec
// or KRM plugins and no Helm. A base or component that is not in the commit
// (a remote base) is refused. The bundle holds plain rendered YAML, so the
// steps that apply it never see a kustomization.
package source
