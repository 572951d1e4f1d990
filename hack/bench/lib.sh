# lib.sh: what the side-by-side benchmark scripts share. Sourced, not run:
#
#   . "$(dirname "$0")/lib.sh"
#
# It moves to the repository root, makes a scratch directory $WORK that is
# removed on exit (stopping the environment too), and defines now_ms,
# start_devenv, add_kwok_nodes and write_app.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
WORK=$(mktemp -d)
DEVENV_PID=
cleanup() {
	if [[ -n $DEVENV_PID ]]; then kill "$DEVENV_PID" 2>/dev/null || true; wait "$DEVENV_PID" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# start_devenv SECONDS ARGS... starts `hack/devenv up ARGS...` in the
# background, waits up to SECONDS for its environment file and sources it
# (AVIARY_REGISTRY, KUBECONFIG_<NAME>, ...).
start_devenv() {
	local seconds=$1
	shift
	go build -o "$WORK/devenv" ./hack/devenv
	"$WORK/devenv" up "$@" --env-file "$WORK/devenv.sh" 2>"$WORK/devenv.log" &
	DEVENV_PID=$!
	for _ in $(seq 1 $((seconds * 10))); do [[ -s $WORK/devenv.sh ]] && break; sleep 0.1; done
	[[ -s $WORK/devenv.sh ]] || { cat "$WORK/devenv.log" >&2; echo "devenv did not start" >&2; exit 1; }
	# shellcheck disable=SC1091
	. "$WORK/devenv.sh"
}

# add_kwok_nodes PODS TIMEOUT adds kwok Nodes (110 pods each; the devenv
# cluster has one) until PODS pods fit, and waits up to TIMEOUT for them to
# be Ready. kwok manages every node, so Node objects are enough. Needs K.
add_kwok_nodes() {
	local nodes=$((($1 + 109) / 110)) i
	((nodes > 1)) || return 0
	for i in $(seq 2 "$nodes"); do
		cat <<YAML
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {type: kwok, kubernetes.io/hostname: kwok-node-$i, kubernetes.io/os: linux, kubernetes.io/arch: amd64}
status:
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
---
YAML
	done >"$WORK/nodes.yaml"
	K create -f "$WORK/nodes.yaml" >/dev/null
	K wait --for=condition=Ready node --all --timeout="$2" >/dev/null
}

# write_app DIR N writes an app repository of N services (svc-000, ...),
# each a Deployment and a Service of image $REG/bench/<svc>, with a
# single-cluster aviary.yaml, committed on branch release/1.0.0.
write_app() {
	local dir=$1 n=$2 i svc
	mkdir -p "$dir"
	{
		echo "product: bench"
		echo "services:"
		for i in $(seq -f '%03g' 0 $((n - 1))); do
			svc=svc-$i
			printf '  - name: %s\n    image: %s/bench/%s\n    manifests: deploy/%s\n' "$svc" "$REG" "$svc" "$svc"
			mkdir -p "$dir/deploy/$svc"
			cat >"$dir/deploy/$svc/deployment.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: $svc}
spec:
  replicas: 1
  selector: {matchLabels: {app: $svc}}
  template:
    metadata: {labels: {app: $svc}}
    spec: {containers: [{name: app, image: $REG/bench/$svc, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: $svc}
spec: {selector: {app: $svc}, ports: [{name: http, port: 80, targetPort: 8080}]}
YAML
		done
		printf 'topology:\n  kind: single-cluster\n  targets:\n    - role: release\n      namespace: bench\n'
	} >"$dir/aviary.yaml"
	git -C "$dir" init -q -b release/1.0.0
	git -C "$dir" add .
	git -C "$dir" -c user.name=bench -c user.email=bench@example.com commit -q -m "bench release"
	# packed, as a CI checkout is (a clone or fetch stores a packfile)
	git -C "$dir" repack -adq
}
