#!/usr/bin/env bash
# Installs what make e2e-ci needs on a clean Debian machine, idempotently (a
# second run only checks):
#   - podman and runc (containers without a daemon), rsync (gitlab-ci-local),
#     bash-static (the job image act starts), from Debian;
#   - gitlab-ci-local 4.62.0 from npm (the last release that runs on Debian's
#     Node.js 20);
#   - busybox-static for amd64 and arm64 (the -debug images) is fetched by the
#     tests through hack/images/busybox.sh;
#   - act and cosign v3 from the tool cache (internal/toolcache), built once.
#
#   bash hack/e2e-ci/deps.sh            # all of it
#   bash hack/e2e-ci/deps.sh packages   # the Debian and npm packages only
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi

need=()
for p in podman runc rsync bash-static; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
# Node.js with npm: Debian's packages unless some Node.js is there already.
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
if ((${#need[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y --no-install-recommends "${need[@]}"; then
    $sudo apt-get update
    $sudo apt-get install -y --no-install-recommends "${need[@]}"
  fi
fi

gcl_version=4.62.0
if [ "$(gitlab-ci-local --version 2>/dev/null)" != "$gcl_version" ]; then
  $sudo npm install -g --no-audit --no-fund "gitlab-ci-local@$gcl_version"
fi

[ "${1:-}" = packages ] && exit 0

start=$(date +%s)
go run ./hack/toolcache act cosign-v3 >/dev/null
echo "e2e-ci deps: ready in $(( $(date +%s) - start ))s" >&2
