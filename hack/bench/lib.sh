# lib.sh: what the side-by-side benchmark scripts share. Sourced, not run:
#
#   . "$(dirname "$0")/lib.sh"
#
# It moves to the repository root, makes a scratch directory $WORK that is
# removed on exit (stopping the environment too), and defines now_ms and
# start_devenv.

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
