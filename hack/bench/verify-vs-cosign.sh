#!/usr/bin/env bash
# verify-vs-cosign.sh: verify a release of N signed images (200 by default)
# and its signed plan with verify-artifacts, and do the same check the way
# people do it by hand: `cosign verify --key` per image in a shell loop.
# Both run against the same real local Distribution registry
# (internal/devenv), whose images are signed in cosign's format by
# hack/verify-bench. Prints both wall times, verify-artifacts' peak RSS and
# the ratio.
#
# Each way runs ROUNDS times; the best round of each counts, as machine
# noise only slows runs down (the peak RSS is the largest of the rounds).
#
#   bash hack/bench/verify-vs-cosign.sh [images] [cosign-v2|cosign-v3] [rounds]   # from the repository root
set -euo pipefail

N=${1:-200}
COSIGN_TOOL=${2:-cosign-v2}
ROUNDS=${3:-3}
. "$(dirname "$0")/lib.sh"

echo "verify-vs-cosign: building verify-artifacts, the fixture writer and $COSIGN_TOOL" >&2
go build -o "$WORK/verify-artifacts" ./steps/verify-artifacts
go build -o "$WORK/verify-bench" ./hack/verify-bench
COSIGN=$(go run ./hack/toolcache "$COSIGN_TOOL" | awk '{print $2}')

echo "verify-vs-cosign: starting the registry" >&2
start_devenv 30 --clusters 0 --no-prometheus
REG=$AVIARY_REGISTRY
unset AVIARY_REGISTRY AVIARY_REGISTRY_URL

export COSIGN_PASSWORD=bench HOME=$WORK/home TUF_ROOT=$WORK/home/tuf DOCKER_CONFIG=$WORK/home/docker
mkdir -p "$HOME"
(cd "$WORK" && "$COSIGN" generate-key-pair --output-key-prefix bench >/dev/null 2>&1)
echo "verify-vs-cosign: pushing and signing $N images and a plan" >&2
"$WORK/verify-bench" --registry "$REG" --key "$WORK/bench.key" --images "$N" --out "$WORK"
PLAN=$(cat "$WORK/plan")

best_aviary=
best_cli=
rss_kib=0
for r in $(seq 1 "$ROUNDS"); do
	t0=$(now_ms)
	AVIARY_CI=local /usr/bin/time -f '%M' -o "$WORK/rss" "$WORK/verify-artifacts" --plan "$PLAN" --key "$WORK/bench.pub" \
		--report-path "$WORK/report.json" --attach-report=false >"$WORK/verify.out" 2>"$WORK/verify.log" || {
		cat "$WORK/verify.log" >&2
		echo "verify-artifacts failed" >&2
		exit 1
	}
	t1=$(now_ms)
	ms=$((t1 - t0))
	echo "verify-vs-cosign: round $r: verify-artifacts $ms ms" >&2
	if [[ -z $best_aviary || $ms -lt $best_aviary ]]; then best_aviary=$ms; fi
	rss=$(tail -1 "$WORK/rss")
	if ((rss > rss_kib)); then rss_kib=$rss; fi

	t0=$(now_ms)
	while read -r ref; do
		"$COSIGN" verify --key "$WORK/bench.pub" --insecure-ignore-tlog --allow-insecure-registry "$ref" >/dev/null 2>"$WORK/cosign.log" || {
			cat "$WORK/cosign.log" >&2
			echo "cosign verify $ref failed" >&2
			exit 1
		}
	done < <(cat "$WORK/plan" "$WORK/images")
	t1=$(now_ms)
	ms=$((t1 - t0))
	echo "verify-vs-cosign: round $r: $COSIGN_TOOL verify x$((N + 1)) $ms ms" >&2
	if [[ -z $best_cli || $ms -lt $best_cli ]]; then best_cli=$ms; fi
done
aviary_ms=$best_aviary
cli_ms=$best_cli

awk -v a="$aviary_ms" -v c="$cli_ms" -v n="$N" -v r="$rss_kib" -v tool="$COSIGN_TOOL" -v rounds="$ROUNDS" 'BEGIN {
	printf "verify-vs-cosign: %d images + plan, best of %d: verify-artifacts %d ms (peak RSS %.0f MiB), %s verify loop %d ms, ratio %.1fx\n", n, rounds, a, r / 1024, tool, c, c / a
}'
