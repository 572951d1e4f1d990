#!/usr/bin/env bash
# run.sh: the side-by-side comparisons of `make bench`. Each script measures
# an aviary step against the way people do the same work by hand with the
# usual CLIs (built once from their Go modules by internal/toolcache), on the
# real local environment, and prints both times and the ratio.
set -euo pipefail
cd "$(dirname "$0")"
status=0
for script in bundle-vs-cli.sh verify-vs-cosign.sh canary-vs-kubectl.sh; do
	echo "=== $script"
	bash "$script" || { echo "bench: $script failed" >&2; status=1; }
done
exit $status
