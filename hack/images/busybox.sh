#!/usr/bin/env bash
# Fetches Debian's static busybox for linux/amd64 and linux/arm64 into DIR,
# for the debug variant of the step images (go run ./hack/images --busybox DIR):
#
#   DIR/linux-amd64/busybox  DIR/linux-arm64/busybox  DIR/VERSION
#
# Runs on Debian (and Debian-based images such as golang:*-bookworm) as root
# or with sudo. Idempotent: an existing DIR with both binaries is kept. The
# first run adds arm64 to dpkg's architectures and updates the package lists.
set -euo pipefail
dir=${1:?usage: busybox.sh DIR}
if [ -x "$dir/linux-amd64/busybox" ] && [ -x "$dir/linux-arm64/busybox" ] && [ -s "$dir/VERSION" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
if ! dpkg --print-foreign-architectures | grep -qx arm64 && [ "$(dpkg --print-architecture)" != arm64 ]; then
  $sudo dpkg --add-architecture arm64
  $sudo apt-get update -qq
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && { apt-get download busybox-static:amd64 busybox-static:arm64 2>/dev/null ||
  { $sudo apt-get update -qq && apt-get download busybox-static:amd64 busybox-static:arm64; }; })
mkdir -p "$dir"
version=
for arch in amd64 arm64; do
  deb=$(ls "$tmp"/busybox-static_*_"$arch".deb)
  v=$(dpkg-deb -f "$deb" Version)
  if [ -n "$version" ] && [ "$v" != "$version" ]; then
    echo "busybox.sh: amd64 and arm64 versions differ ($version, $v)" >&2
    exit 1
  fi
  version=$v
  mkdir -p "$tmp/x-$arch" "$dir/linux-$arch"
  dpkg-deb -x "$deb" "$tmp/x-$arch"
  install -m 0755 "$tmp/x-$arch/bin/busybox" "$dir/linux-$arch/busybox"
done
echo "$version" > "$dir/VERSION"
echo "busybox.sh: busybox-static $version for amd64 and arm64 in $dir" >&2
