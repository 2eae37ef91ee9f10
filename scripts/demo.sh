#!/usr/bin/env bash
# `make demo`: Sluice on specs-example from this repository's Git history, with the edge lab
# cluster served by the embedded runtime (Flink processes on this host, no Kubernetes):
# plan, sync, status, then a commit that changes the job and the savepoint upgrade it causes.
# Everything it starts is stopped at the end, also on Ctrl-C or failure.
set -euo pipefail
sluice=$(cd "$(dirname "${1:-.build/release/sluice}")" && pwd)/$(basename "${1:-.build/release/sluice}")
cd "$(dirname "$0")/.."
root=$(pwd)

if ! git rev-parse --verify -q HEAD >/dev/null; then
  echo "demo: this checkout has no commits; the demo reads specs-example from Git history" >&2
  exit 2
fi
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Flink 2.3 and the demo job (installed once into ~/.cache/sluice)"
FLINK_HOME=$(scripts/install-flink.sh)
export FLINK_HOME
jar="${SLUICE_CACHE:-$HOME/.cache/sluice}/flink-test-job/sluice-test-job.jar"

work=$(mktemp -d /tmp/sluice-demo.XXXXXX)
state="$work/state"
# The demo's checkpoints, savepoints and output live in $work: the host allows specs to name it.
export SLUICE_ALLOWED_ROOTS="$work"
cleanup() {
  step "Stopping everything the demo started"
  "$sluice" runtime down --state-dir "$state" --cluster edge-lab || true
  rm -rf "$work"
}
trap cleanup EXIT

step "A throwaway clone of this repository (HEAD is $(git rev-parse --short HEAD))"
git clone -q "$root" "$work/repo"
cd "$work/repo"
git config user.name "Sluice demo"
git config user.email "demo@localhost"

# specs-example's jobs ship as container images (jarURI local://). The edge lab runs on the
# embedded runtime, so map its job to a jar this machine has: Sluice's demo job, committed into
# the clone, through the sluice.dev/jar-uri annotation and an Environment patch.
"$root/scripts/demo-overlay.sh" "$work" "$jar"

run() { echo "\$ sluice $*"; "$sluice" "$@"; }

step "What would change on the edge lab (embedded runtime)"
run plan --repo . --revision HEAD --path specs-example --cluster edge-lab --state-dir "$state" || true

step "Sync: start a JobManager and a TaskManager, submit the job, wait for RUNNING and a checkpoint"
run sync --repo . --revision HEAD --path specs-example --cluster edge-lab --state-dir "$state" --health-timeout 180

step "Status of the runtime"
run runtime status --state-dir "$state" --cluster edge-lab
sleep 4
echo "keyed counters so far: $(tail -n 4 "$work"/output/counts-*.txt | tr '\n' ' ')"

step "A spec change in Git: a new program argument, committed"
sed -i 's/"--tag", "v1"/"--tag", "v2"/' specs-example/environments/staging.yaml
git commit -qam "demo: tag v2"
run plan --repo . --revision HEAD --path specs-example --cluster edge-lab --state-dir "$state" || true

step "Sync: stop with a savepoint, start the new spec from it"
run sync --repo . --revision HEAD --path specs-example --cluster edge-lab --state-dir "$state" --health-timeout 180
sleep 4
echo "keyed counters after the upgrade (they continue, not restart at 1): $(grep '^v2' "$work"/output/counts-*.txt | tail -n 4 | cut -d: -f2 | tr '\n' ' ')"

step "The journal of what Sluice did"
tail -n 6 "$state/journal.jsonl" | cut -c1-200
