#!/usr/bin/env bash
# Installs what the real-environment tests need and prebuilds the tools of
# internal/toolcache that the tests run (the benchmark CLIs kubectl, crane
# and oras are left to make bench). Idempotent: a second run only checks and
# prints paths.
#
#   bash hack/ci-deps.sh
#
# The first run builds the Kubernetes binaries, etcd, kwok, istiod
# (pilot-discovery) and both cosign CLIs from the Go module proxy (20 to 25
# minutes on two idle cores without istiod, which adds 12 to 15 CPU-minutes);
# later runs reuse the binaries cached in the user cache directory
# (aviary/tools).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v git >/dev/null 2>&1 || need+=(git)
if ((${#need[@]})); then
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  export DEBIAN_FRONTEND=noninteractive
  # Update the package lists only when the install cannot find a package.
  if ! $sudo apt-get install -y --no-install-recommends "${need[@]}"; then
    $sudo apt-get update
    $sudo apt-get install -y --no-install-recommends "${need[@]}"
  fi
fi

start=$(date +%s)
# prometheus resolves to Debian's binary installed above; everything else is
# built once and cached.
go run ./hack/toolcache etcd kube-apiserver kube-controller-manager kube-scheduler kwok pilot-discovery cosign-v2 cosign-v3 prometheus
echo "ci-deps: tools ready in $(( $(date +%s) - start ))s" >&2
