#!/usr/bin/env bash
# `make bench`: benchmarks with their goals. Figures go to stdout; README records them.
set -euo pipefail
bench=${1:-.build/release/sluice-bench}
cd "$(dirname "$0")/.."
work=.bench
rm -rf "$work" && mkdir -p "$work"

echo "== spec load + validate + render from a Git commit (goal: < 1 s, < 100 MiB)"
repo="$work/specs-1000"
"$bench" generate-specs "$repo" 1000 10 3
git -C "$repo" init -q -b main
git -C "$repo" add -A
git -C "$repo" -c user.name=bench -c user.email=bench@localhost commit -qm "1,000 FlinkDeployments"
for i in 1 2 3; do "$bench" spec-from-git "$repo"; done

echo
echo "== YAML parsing of the same bytes: Sluice (libyaml events -> Value) vs PyYAML's C loader (goal: ratio <= 1)"
sluice_line=$("$bench" yaml-parse "$repo" 5)
echo "$sluice_line"
sluice_s=$(echo "$sluice_line" | sed -E 's/.*: ([0-9.]+) s$/\1/')
py_s=$(python3 - "$repo" <<'PY'
import sys, time, pathlib, yaml
files = sorted(pathlib.Path(sys.argv[1]).rglob("*.yaml"))
data = [f.read_bytes() for f in files]
best = float("inf")
for _ in range(5):
    t = time.perf_counter()
    for b in data:
        list(yaml.load_all(b, Loader=yaml.CSafeLoader))
    best = min(best, time.perf_counter() - t)
print(f"{best:.4f}")
PY
)
echo "pyyaml-c:   $(ls "$repo"/*/*.yaml | wc -l) files, best of 5: ${py_s} s"
python3 -c "s=$sluice_s; p=$py_s; print(f'ratio sluice/pyyaml = {s/p:.2f} (Sluice is {p/s:.1f}x the speed of PyYAML CSafeLoader)')"
