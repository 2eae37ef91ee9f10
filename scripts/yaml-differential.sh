#!/usr/bin/env bash
# Differential check of the YAML parser: the parser of <base> (a git revision) and the one in the
# working tree read the same 3,000-odd inputs (Benchmarks/yaml-differential/gen.py) under three sets
# of limits; every tree, node and key location and error text must be identical. Run it after any
# change to Sources/SluiceYAML that should not change behaviour; it also times both parsers on the
# spec corpus in one process, round by round beside the libyaml floor (YAML_COMPARE_ITERATIONS
# rounds of each, default 120), which tells a 2 % change apart where separate runs cannot.
#
#   scripts/yaml-differential.sh [base-revision] [sluice-bench]
set -euo pipefail
base=${1:-HEAD}
bench=${2:-.build/release/sluice-bench}
cd "$(dirname "$0")/.."
work=.bench/yaml-differential
rm -rf "$work" && mkdir -p "$work/base" "$work/head"
git archive "$base" Sources/SluiceYAML | tar -x -C "$work/base" --strip-components=2
cp Sources/SluiceYAML/*.swift "$work/head/"
driver=Benchmarks/yaml-differential
for side in base head; do
  sed -i '/^import SluiceCore$/d' "$work/$side"/*.swift
  # -num-threads 2 as SwiftPM's release build: it inlines less than a single-threaded build.
  swiftc -O -wmo -num-threads 2 -I Sources/CYAML "$driver/core.swift" "$work/$side"/*.swift "$driver/main.swift" -o "$work/parser-$side" -lyaml
done
"$bench" generate-specs "$work/corpus" 1000 10 3
python3 "$driver/gen.py" "$work/corpus" "$work/inputs" >/dev/null
"$work/parser-base" dump "$work/inputs" > "$work/base.txt"
"$work/parser-head" dump "$work/inputs" > "$work/head.txt"
inputs=$(ls "$work/inputs" | wc -l)
if cmp -s "$work/base.txt" "$work/head.txt"; then
  echo "identical: $inputs inputs x 3 sets of limits ($(grep -c '^ERR' "$work/head.txt") refusals)"
else
  echo "DIFFERENT: diff $work/base.txt $work/head.txt"; exit 1
fi
# Time: both parsers as two modules of one program, beside libyaml's raw events, round by round.
for side in base head; do
  module=YAML$([ "$side" = base ] && echo Base || echo Head)
  swiftc -O -wmo -num-threads 2 -parse-as-library -emit-library -static -emit-module -module-name "$module" \
    -I Sources/CYAML "$driver/core.swift" "$work/$side"/*.swift -o "$work/lib$module.a" -emit-module-path "$work/$module.swiftmodule"
done
swiftc -O -I "$work" -I Sources/CYAML "$driver/compare/main.swift" Benchmarks/sluice-bench/LibyamlEvents.swift -L "$work" -lYAMLBase -lYAMLHead -lyaml -o "$work/compare"
"$work/compare" "$work/corpus" "${YAML_COMPARE_ITERATIONS:-120}"
uptime | sed 's/.*load/load/'
