#!/usr/bin/env bash
# The main job, as far as it goes today: validate and render specs-example from this
# repository's own Git history (HEAD), and print what each cluster would run.
set -euo pipefail
sluice=${1:-.build/release/sluice}
cd "$(dirname "$0")/.."

if ! git rev-parse --verify -q HEAD >/dev/null; then
  echo "demo: this checkout has no commits; the demo reads specs-example from Git history" >&2
  exit 2
fi
rev=$(git rev-parse --short HEAD)

echo "== sluice validate --repo . --revision HEAD --path specs-example   (HEAD is $rev)"
"$sluice" validate --repo . --revision HEAD --path specs-example
echo
echo "== sluice render --repo . --revision HEAD --path specs-example --output table"
"$sluice" render --repo . --revision HEAD --path specs-example --output table
echo
echo "== sluice render --repo . --revision HEAD --path specs-example --cluster edge-munich-1"
"$sluice" render --repo . --revision HEAD --path specs-example --cluster edge-munich-1
