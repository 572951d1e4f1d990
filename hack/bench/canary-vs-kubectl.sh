#!/usr/bin/env bash
# canary-vs-kubectl.sh: release a 100-service product on one real local
# cluster (internal/devenv) with deploy-canary, shift-weight and promote, and do the
# same work the way people do it by hand: `kubectl apply -f` of the very same
# objects (Deployments, Services, DestinationRules, VirtualServices, copied
# from what deploy-canary made) followed by `kubectl wait` for the
# Deployments, then a `kubectl patch` loop setting one canary weight per
# VirtualService. Prints the wall times and the ratios.
#
#   deploy:  deploy-canary (apply, wait ready, route)  vs  kubectl apply + kubectl wait
#   shift:   shift-weight --weight N over the 100 canaries of a second
#            release  vs  100 × kubectl patch of the same routes
#   promote: promote of those canaries  vs  per service kubectl patch of the
#            DestinationRule (stable subset to the new version), kubectl
#            patch of the route (100 % stable), kubectl scale of the old
#            Deployment (one passive replica)
#
# Each way runs ROUNDS times; the best round counts, as machine noise only
# slows runs down.
#
#   bash hack/bench/canary-vs-kubectl.sh [services] [rounds]
set -euo pipefail

N=${1:-100}
ROUNDS=${2:-3}
. "$(dirname "$0")/lib.sh"
say() { echo "canary-vs-kubectl: $*" >&2; }

say "building the steps and the CLIs"
for s in bundle-plan deploy-canary shift-weight promote; do go build -o "$WORK/$s" "./steps/$s"; done
eval "$(go run ./hack/toolcache kubectl oras | awk '{printf "%s=%s\n", toupper($1), $2}')"

say "starting a cluster and the registry"
start_devenv 120 --clusters 1 --no-prometheus
REG=$AVIARY_REGISTRY
unset AVIARY_REGISTRY AVIARY_REGISTRY_URL
K() { "$KUBECTL" --kubeconfig "$KUBECONFIG" "$@"; }

# Each round runs 3 × N pods (stable, canaries, the kubectl copy).
add_kwok_nodes $((3 * N * ROUNDS)) 2m

say "pushing 2 × $N images and writing the app repository"
for v in 1.0.0 1.1.0; do
	echo "{\"version\": \"$v\"}" >"$WORK/blob.json"
	(cd "$WORK" && seq -f '%03g' 0 $((N - 1)) | xargs -P 8 -I{} "$ORAS" push --plain-http --no-tty \
		"$REG/bench/svc-{}:$v" --artifact-type application/vnd.example.image blob.json:application/json >/dev/null)
done
APP=$WORK/app
write_app "$APP" "$N"
bundle() {
	git -C "$APP" checkout -q -B "release/$1"
	AVIARY_CI=local "$WORK/bundle-plan" --repo-path "$APP" --repository "$REG/bench/plans" --version "$1" >"$WORK/bundle.json" 2>"$WORK/bundle.log" ||
		{ cat "$WORK/bundle.log" >&2; exit 1; }
	jq -r '."plan-ref"' "$WORK/bundle.json"
}
PLAN=$(bundle 1.0.0)
PLAN2=$(bundle 1.1.0)

best() { if [[ -z $1 || $2 -lt $1 ]]; then echo "$2"; else echo "$1"; fi; }
best_deploy= best_apply= best_shift= best_patch= best_promote= best_manual=
for r in $(seq 1 "$ROUNDS"); do
	ns=bench-aviary-$r
	K create namespace "$ns" >/dev/null
	t0=$(now_ms)
	AVIARY_CI=local "$WORK/deploy-canary" --plan "$PLAN" --namespace "$ns" --holder bench >/dev/null 2>"$WORK/deploy.log" ||
		{ cat "$WORK/deploy.log" >&2; exit 1; }
	ms=$(( $(now_ms) - t0 )); best_deploy=$(best "$best_deploy" "$ms")
	say "round $r: deploy-canary $ms ms"

	# The same objects, as kubectl users would keep them in files.
	K get deployments,services,destinationrules.networking.istio.io,virtualservices.networking.istio.io -n "$ns" -o json |
		jq --arg ns "bench-kubectl-$r" '.items |= map(
			del(.status, .metadata.uid, .metadata.resourceVersion, .metadata.creationTimestamp, .metadata.generation,
				.metadata.managedFields, .metadata.annotations["deployment.kubernetes.io/revision"],
				.spec.clusterIP, .spec.clusterIPs) | .metadata.namespace = $ns)' >"$WORK/objects.json"
	K create namespace "bench-kubectl-$r" >/dev/null
	t0=$(now_ms)
	K apply -f "$WORK/objects.json" >/dev/null
	K wait -n "bench-kubectl-$r" --for=condition=Available deployment --all --timeout=5m >/dev/null
	ms=$(( $(now_ms) - t0 )); best_apply=$(best "$best_apply" "$ms")
	say "round $r: kubectl apply + wait $ms ms"

	# Canaries of 1.1.0 beside it (not timed), and the same two-destination
	# routes copied for kubectl.
	AVIARY_CI=local "$WORK/deploy-canary" --plan "$PLAN2" --namespace "$ns" --holder bench >/dev/null 2>"$WORK/deploy.log" ||
		{ cat "$WORK/deploy.log" >&2; exit 1; }
	K get virtualservices.networking.istio.io -n "$ns" -o json |
		jq --arg ns "bench-kubectl-$r" '.items |= map(del(.metadata.uid, .metadata.resourceVersion, .metadata.creationTimestamp,
			.metadata.generation, .metadata.managedFields) | .metadata.namespace = $ns)' >"$WORK/routes.json"
	K apply --server-side --force-conflicts -f "$WORK/routes.json" >/dev/null
	w=$((10 * r))
	t0=$(now_ms)
	AVIARY_CI=local "$WORK/shift-weight" --plan "$PLAN2" --namespace "$ns" --weight "$w" --holder bench >/dev/null 2>"$WORK/shift.log" ||
		{ cat "$WORK/shift.log" >&2; exit 1; }
	ms=$(( $(now_ms) - t0 )); best_shift=$(best "$best_shift" "$ms")
	say "round $r: shift-weight to $w% $ms ms"

	t0=$(now_ms)
	for i in $(seq -f '%03g' 0 $((N - 1))); do
		K patch -n "bench-kubectl-$r" virtualservice.networking.istio.io "svc-$i" --type=json -p \
			"[{\"op\":\"replace\",\"path\":\"/spec/http/0/route/0/weight\",\"value\":$((100 - w))},{\"op\":\"replace\",\"path\":\"/spec/http/0/route/1/weight\",\"value\":$w}]" >/dev/null
	done
	ms=$(( $(now_ms) - t0 )); best_patch=$(best "$best_patch" "$ms")
	say "round $r: $N × kubectl patch $ms ms"

	t0=$(now_ms)
	AVIARY_CI=local "$WORK/promote" --plan "$PLAN2" --namespace "$ns" --holder bench >/dev/null 2>"$WORK/promote.log" ||
		{ cat "$WORK/promote.log" >&2; exit 1; }
	ms=$(( $(now_ms) - t0 )); best_promote=$(best "$best_promote" "$ms")
	say "round $r: promote $ms ms"

	# By hand: per service the stable subset to the new version, all
	# traffic to it, the old Deployment down to one passive replica.
	t0=$(now_ms)
	for i in $(seq -f '%03g' 0 $((N - 1))); do
		K patch -n "bench-kubectl-$r" destinationrule.networking.istio.io "svc-$i" --type=merge -p \
			'{"spec":{"subsets":[{"name":"stable","labels":{"version":"1.1.0"}}]}}' >/dev/null
		K patch -n "bench-kubectl-$r" virtualservice.networking.istio.io "svc-$i" --type=json -p \
			'[{"op":"replace","path":"/spec/http/0/route/0/weight","value":100},{"op":"replace","path":"/spec/http/0/route/1/weight","value":0}]' >/dev/null
		K scale -n "bench-kubectl-$r" deployment "svc-$i-v1-0-0" --replicas=1 >/dev/null
	done
	ms=$(( $(now_ms) - t0 )); best_manual=$(best "$best_manual" "$ms")
	say "round $r: $N × kubectl patch, patch, scale $ms ms"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b / a }'; }
echo "canary-vs-kubectl ($N services, best of $ROUNDS):"
echo "  deploy: deploy-canary ${best_deploy} ms, kubectl apply + wait ${best_apply} ms: kubectl/aviary = $(ratio "$best_deploy" "$best_apply")"
echo "  shift:  shift-weight ${best_shift} ms, kubectl patch loop ${best_patch} ms: kubectl/aviary = $(ratio "$best_shift" "$best_patch")"
echo "  promote: promote ${best_promote} ms, kubectl patch+patch+scale loop ${best_manual} ms: kubectl/aviary = $(ratio "$best_promote" "$best_manual")"
