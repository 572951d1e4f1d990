#!/usr/bin/env bash
# scale.sh: run a release of N services through the whole pipeline on one
# real local cluster and registry (internal/devenv), for each N given (100
# and 1,000 by default): bundle-plan (the plan signed), verify-artifacts
# (the plan and N signed images), deploy-canary of a first release (all
# stable) and of the next one (N canaries), shift-weight to 50 %, promote.
# Prints each step's wall time and peak RSS per N, and how each grew from
# the smallest N to the largest against the growth of N (linear growth
# gives a ratio of 1.0).
#
#   bash hack/bench/scale.sh [N...]   # from the repository root
set -euo pipefail

SIZES=("$@")
if [[ ${#SIZES[@]} -eq 0 ]]; then SIZES=(100 1000); fi
. "$(dirname "$0")/lib.sh"
say() { echo "scale: $*" >&2; }

MAX=0 SUM=0
for n in "${SIZES[@]}"; do
	((n > MAX)) && MAX=$n
	SUM=$((SUM + n))
done

say "building the steps, the fixture writer and cosign"
for s in bundle-plan verify-artifacts deploy-canary shift-weight promote; do go build -o "$WORK/$s" "./steps/$s"; done
go build -o "$WORK/verify-bench" ./hack/verify-bench
COSIGN=$(go run ./hack/toolcache cosign-v2 | awk '{print $2}')
KUBECTL=$(go run ./hack/toolcache kubectl | awk '{print $2}')

say "starting a cluster and the registry"
start_devenv 180 --clusters 1 --no-prometheus
REG=$AVIARY_REGISTRY
unset AVIARY_REGISTRY AVIARY_REGISTRY_URL
K() { "$KUBECTL" --kubeconfig "$KUBECONFIG" "$@"; }

# After promote each service runs its new version and keeps the previous
# one passive (1 replica): 2 pods per service and size.
add_kwok_nodes $((2 * SUM * 11 / 10)) 5m

export COSIGN_PASSWORD=pw-not-in-any-name HOME=$WORK/home TUF_ROOT=$WORK/home/tuf DOCKER_CONFIG=$WORK/home/docker
mkdir -p "$HOME"
(cd "$WORK" && "$COSIGN" generate-key-pair --output-key-prefix bench >/dev/null 2>&1)
for v in 1.0.0 1.1.0; do
	say "pushing and signing $MAX images tagged $v"
	"$WORK/verify-bench" --registry "$REG" --key "$WORK/bench.key" --images "$MAX" --tag "$v" --out "$WORK" 2>/dev/null
done

# app N writes the app repository of an N-service release.
app() {
	local dir=$WORK/app-$1
	write_app "$dir" "$1"
	echo "$dir"
}

# timed NAME N CMD... runs a step, records its wall time and peak RSS in
# $WORK/results, and keeps its stdout in $WORK/NAME-N.out.
timed() {
	local name=$1 n=$2
	shift 2
	local t0 ms
	t0=$(now_ms)
	AVIARY_CI=local /usr/bin/time -f '%M' -o "$WORK/rss" "$@" >"$WORK/$name-$n.out" 2>"$WORK/$name-$n.log" || {
		tail -20 "$WORK/$name-$n.log" >&2
		echo "scale: $name with $n services failed" >&2
		exit 1
	}
	ms=$(($(now_ms) - t0))
	echo "$n $name $ms $(tail -1 "$WORK/rss")" >>"$WORK/results"
	say "$n services: $name $ms ms, peak RSS $(($(tail -1 "$WORK/rss") / 1024)) MiB"
}

: >"$WORK/results"
for n in "${SIZES[@]}"; do
	dir=$(app "$n")
	ns=bench-$n
	K create namespace "$ns" >/dev/null
	for v in 1.0.0 1.1.0; do
		git -C "$dir" checkout -q -B "release/$v"
		timed "bundle-$v" "$n" "$WORK/bundle-plan" --repo-path "$dir" --repository "$REG/bench/plans-$n" --version "$v" \
			--sign-key "$WORK/bench.key" --sign-key-password "$COSIGN_PASSWORD"
	done
	plan1=$(jq -r '."plan-ref"' "$WORK/bundle-1.0.0-$n.out")
	plan2=$(jq -r '."plan-ref"' "$WORK/bundle-1.1.0-$n.out")
	timed verify "$n" "$WORK/verify-artifacts" --plan "$plan2" --key "$WORK/bench.pub" \
		--report-path "$WORK/report-$n.json" --attach-report=false
	common=(--namespace "$ns" --holder bench)
	timed deploy-first "$n" "$WORK/deploy-canary" --plan "$plan1" --timeout 20m "${common[@]}"
	timed deploy-canary "$n" "$WORK/deploy-canary" --plan "$plan2" --initial-weight 10 --timeout 20m "${common[@]}"
	timed shift "$n" "$WORK/shift-weight" --plan "$plan2" --weight 50 "${common[@]}"
	timed promote "$n" "$WORK/promote" --plan "$plan2" --timeout 20m "${common[@]}"
done

first=${SIZES[0]} last=${SIZES[${#SIZES[@]} - 1]}
awk -v first="$first" -v last="$last" '
{ ms[$1 " " $2] = $3; rss[$1 " " $2] = $4; if (!($2 in seen)) { seen[$2] = 1; order[++k] = $2 } ; sizes[$1] = 1 }
END {
	printf "scale: each step, one cluster, wall ms and peak RSS MiB by services\n"
	printf "%-14s", "step"
	printf " %10s %8s %10s %8s %14s\n", first " ms", "MiB", last " ms", "MiB", "growth/linear"
	for (i = 1; i <= k; i++) {
		st = order[i]
		a = ms[first " " st]; b = ms[last " " st]
		printf "%-14s %10d %8.0f %10d %8.0f %14.2f\n", st, a, rss[first " " st] / 1024, b, rss[last " " st] / 1024, (b / a) / (last / first)
	}
}' "$WORK/results"
