#!/usr/bin/env bash
# Installs what the real-environment tests need and prebuilds the tools of
# internal/toolcache that the tests run (the benchmark CLIs kubectl, crane
# and oras are left to make bench). Idempotent: a second run only checks and
# prints paths.
#
#   bash hack/ci-deps.sh                 # Debian packages, then the tools
#   bash hack/ci-deps.sh packages        # only the Debian packages
#   bash hack/ci-deps.sh tools [name...] # only the tools (and these extra ones)
#
# The first run builds the Kubernetes binaries, etcd, kwok, istiod
# (pilot-discovery) and both cosign CLIs from the Go module proxy, two builds
# at a time: about 54 CPU-minutes, 30 minutes on two idle cores (see
# internal/toolcache for each tool's share); later runs reuse the binaries
# cached in the user cache directory (aviary/tools).
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-all}
[ $# -gt 0 ] && shift

packages() {
  local need=()
  command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
  command -v git >/dev/null 2>&1 || need+=(git)
  if ((${#need[@]})); then
    local sudo=
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    # Update the package lists only when the install cannot find a package.
    if ! $sudo apt-get install -y --no-install-recommends "${need[@]}"; then
      $sudo apt-get update
      $sudo apt-get install -y --no-install-recommends "${need[@]}"
    fi
  fi
}

tools() {
  local start
  start=$(date +%s)
  # prometheus resolves to Debian's binary installed above; everything else is
  # built once and cached, two builds at a time.
  go run ./hack/toolcache -j 2 etcd kube-apiserver kube-controller-manager kube-scheduler kwok pilot-discovery cosign-v2 cosign-v3 prometheus "$@"
  echo "ci-deps: tools ready in $(( $(date +%s) - start ))s" >&2
}

case $what in
  all) packages; tools "$@" ;;
  packages) packages ;;
  tools) tools "$@" ;;
  *) echo "usage: ci-deps.sh [all|packages|tools [name...]]" >&2; exit 2 ;;
esac
