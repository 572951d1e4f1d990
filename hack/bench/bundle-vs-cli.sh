#!/usr/bin/env bash
# bundle-vs-cli.sh: bundle a 200-service release with bundle-plan, and do the
# same work the way people do it by hand: `crane digest` per image in a loop,
# then `oras push` of a plan file and a tarball of the manifests. Both run
# against the same real local Distribution registry (internal/devenv) and
# read the same 200 image tags. Prints both wall times and the ratio, and
# the CPU each bundle-plan round cost the step and the registry: the two
# share the machine's cores, so their sum over the cores is the least time
# a round could take here.
#
# Each way runs ROUNDS times (each round a new version, so both push every
# time); the best round of each counts, as machine noise only slows runs down.
#
#   bash hack/bench/bundle-vs-cli.sh [services] [rounds]
set -euo pipefail

N=${1:-200}
ROUNDS=${2:-3}
. "$(dirname "$0")/lib.sh"

echo "bundle-vs-cli: building bundle-plan and the CLIs" >&2
go build -o "$WORK/bundle-plan" ./steps/bundle-plan
eval "$(go run ./hack/toolcache crane oras | awk '{printf "%s=%s\n", toupper($1), $2}')"

echo "bundle-vs-cli: starting the registry" >&2
start_devenv 30 --clusters 0 --no-prometheus
REG=$AVIARY_REGISTRY
# registry_cpu_ms: the CPU the devenv process (which serves the registry)
# has used so far, from /proc (clock ticks of 10 ms).
registry_cpu_ms() { awk '{print ($14 + $15) * 10}' "/proc/$DEVENV_PID/stat"; }
unset AVIARY_REGISTRY AVIARY_REGISTRY_URL # not inputs of bundle-plan

echo "bundle-vs-cli: pushing $N images and writing the app repository" >&2
echo '{}' >"$WORK/blob.json"
# oras takes relative file paths only.
(cd "$WORK" && seq -f '%03g' 0 $((N - 1)) | xargs -P 8 -I{} "$ORAS" push --plain-http --no-tty \
	"$REG/bench/svc-{}:1.0.0" --artifact-type application/vnd.example.image blob.json:application/json >/dev/null)

APP=$WORK/app
mkdir -p "$APP"
{
	echo "product: bench"
	echo "services:"
	for i in $(seq -f '%03g' 0 $((N - 1))); do
		svc=svc-$i
		printf '  - name: %s\n    image: %s/bench/%s:1.0.0\n    manifests: deploy/%s\n' "$svc" "$REG" "$svc" "$svc"
		mkdir -p "$APP/deploy/$svc"
		printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n' "$svc" >"$APP/deploy/$svc/deployment.yaml"
		printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n' "$svc" >"$APP/deploy/$svc/service.yaml"
	done
	printf 'topology:\n  kind: single-cluster\n  targets:\n    - role: release\n      namespace: bench\n'
} >"$APP/aviary.yaml"
git -C "$APP" init -q -b release/1.0.0
git -C "$APP" add .
git -C "$APP" -c user.name=bench -c user.email=bench@example.com commit -q -m 'bench release'
# packed, as a CI checkout is (a clone or fetch stores a packfile)
git -C "$APP" repack -adq

best_aviary=
best_cpu=
best_cli=
for r in $(seq 1 "$ROUNDS"); do
	reg0=$(registry_cpu_ms)
	t0=$(now_ms)
	# bash's time keyword: the step's user and system CPU, in seconds
	{ TIMEFORMAT='%3U %3S'; time AVIARY_CI=local "$WORK/bundle-plan" --repo-path "$APP" --repository "$REG/bench/plans" \
		--version "1.0.$r" >"$WORK/bundle.json" 2>"$WORK/bundle.log"; } 2>"$WORK/bundle.time"
	t1=$(now_ms)
	ms=$((t1 - t0))
	step_cpu=$(awk '{printf "%d", ($1 + $2) * 1000}' "$WORK/bundle.time")
	reg_cpu=$(($(registry_cpu_ms) - reg0))
	echo "bundle-vs-cli: round $r: bundle-plan $ms ms; CPU: the step's $step_cpu ms, the registry's $reg_cpu ms" >&2
	if [[ -z $best_aviary || $ms -lt $best_aviary ]]; then best_aviary=$ms best_cpu="$step_cpu $reg_cpu"; fi

	t0=$(now_ms)
	{
		echo "version: 1.0.$r"
		echo "services:"
		for i in $(seq -f '%03g' 0 $((N - 1))); do
			d=$("$CRANE" digest --insecure "$REG/bench/svc-$i:1.0.0")
			echo "  svc-$i: $REG/bench/svc-$i@$d"
		done
	} >"$WORK/plan.yaml"
	tar -C "$APP/deploy" -czf "$WORK/manifests.tar.gz" .
	(cd "$WORK" && "$ORAS" push --plain-http --no-tty "$REG/bench/cli-plans:1.0.$r" \
		--artifact-type application/vnd.aviary.release-plan.v1 \
		plan.yaml:application/vnd.aviary.release-plan.v1+yaml \
		manifests.tar.gz:application/vnd.aviary.manifests.v1.tar+gzip >/dev/null)
	t1=$(now_ms)
	ms=$((t1 - t0))
	echo "bundle-vs-cli: round $r: crane digest x$N + oras push $ms ms" >&2
	if [[ -z $best_cli || $ms -lt $best_cli ]]; then best_cli=$ms; fi
done
aviary_ms=$best_aviary
cli_ms=$best_cli

read -r step_cpu reg_cpu <<<"$best_cpu"
awk -v a="$aviary_ms" -v c="$cli_ms" -v n="$N" -v r="$ROUNDS" -v s="$step_cpu" -v g="$reg_cpu" -v k="$(nproc)" 'BEGIN {
	printf "bundle-vs-cli: %d services, best of %d: bundle-plan %d ms, crane digest + oras push %d ms, ratio %.1fx\n", n, r, a, c, c / a
	printf "bundle-vs-cli: that round cost the step %d ms and the registry %d ms of CPU: at least %d ms on %d cores\n", s, g, (s + g) / k, k
}'
