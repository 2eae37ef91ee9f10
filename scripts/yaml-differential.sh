#!/usr/bin/env bash
# Differential check of the YAML parser: the parser of <base> (a git revision) and the one in the
# working tree read the same 3,000-odd inputs (Benchmarks/yaml-differential/gen.py) under three sets
# of limits; every tree, node and key location and error text must be identical. Run it after any
# change to Sources/SluiceYAML that should not change behaviour; it also prints both parsers' CPU time
# on the corpus, interleaved with the libyaml floor.
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
cc -O2 Benchmarks/yaml-floor/yaml_floor.c $(pkg-config --cflags --libs yaml-0.1) -o "$work/yaml-floor"
for _ in 1 2 3 4 5 6; do
  "$work/parser-base" bench "$work/corpus" 20 | sed 's/^sa/base/'
  "$work/parser-head" bench "$work/corpus" 20 | sed 's/^sa/head/'
  "$work/yaml-floor" "$work/corpus" 20 | sed -E 's/^yaml-floor: .* ([0-9.]+) s CPU$/floor: best \1 s CPU/'
done | awk '{print $1, $(NF-2)}' | sort -k1,1 -k2g | awk '!seen[$1]++ {print "best CPU time of", $1, $2, "s"}'
uptime | sed 's/.*load/load/'
