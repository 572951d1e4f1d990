#!/usr/bin/env bash
# Signs every image of a hack/images --record file with cosign and attests
# its SBOM (CycloneDX) and SLSA provenance, as the release does:
#
#   COSIGN=<cosign v3 binary> bash hack/images/sign.sh images.json [cosign flags...]
#
# The flags go to every cosign call: --yes for keyless signing in the release
# workflow; --key and the offline flags in make e2e-ci. The record's .tsv
# twin (written beside it) lists ref, SBOM file and provenance file.
set -euo pipefail
record=${1:?usage: sign.sh <record.json> [cosign flags...]}
shift
cosign=${COSIGN:-cosign}
dir=$(dirname "$record")
tsv="${record%.*}.tsv"
mapfile -t refs < <(cut -f1 "$tsv")
"$cosign" sign "$@" "${refs[@]}"
while IFS=$'\t' read -r ref sbom provenance; do
  "$cosign" attest "$@" --type cyclonedx --predicate "$dir/$sbom" "$ref"
  "$cosign" attest "$@" --type slsaprovenance1 --predicate "$dir/$provenance" "$ref"
done < "$tsv"
echo "sign.sh: signed and attested ${#refs[@]} images" >&2
