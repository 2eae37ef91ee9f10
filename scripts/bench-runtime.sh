#!/usr/bin/env bash
# The bundled runtime's benchmark (part of `make bench`; runs alone as
# `scripts/bench-runtime.sh .build/release/sluice`): `sluice sync` of a FlinkDeployment to RUNNING
# with its first checkpoint, first on a host without class-data archives, then with them while one
# and two other deployments run; then the idle footprint of `sluice runtime serve` with three.
# Real Flink: wrap in `flock /tmp/sluice-flink.lock` where other Flink tests may run.
set -euo pipefail
sluice_bin=$(realpath "${1:-.build/release/sluice}")
rt=$(realpath -m "${2:-.bench/runtime-bench}")
cd "$(dirname "$0")/.."
scripts/install-flink.sh >/dev/null
rm -rf "$rt"
echo "== bundled runtime: sluice sync to RUNNING, and the runtime's idle footprint with three deployments (goals: < 15 s, < 30 MiB)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
jar="${SLUICE_CACHE:-$HOME/.cache/sluice}/flink-test-job/sluice-test-job.jar"
# The specs name the demo jar and the runtime's folders on this host: allow exactly those.
export SLUICE_ALLOWED_ROOTS="$(dirname "$jar"):$rt"
mkdir -p "$rt/specs/clusters" "$rt/specs/environments" "$rt/specs/jobs"
rt_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
openssl rand -hex 16 > "$rt/token"
cat > "$rt/specs/environments/bench.yaml" <<YAML
apiVersion: sluice.dev/v1alpha1
kind: Environment
metadata: {name: bench}
spec:
  namespace: bench
  clusters: {matchLabels: {purpose: bench}}
  jobs: {matchLabels: {app.kubernetes.io/part-of: bench}}
YAML
job() {
  cat > "$rt/specs/jobs/$1.yaml" <<YAML
apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata: {name: $1, labels: {app.kubernetes.io/part-of: bench}}
spec:
  flinkVersion: v2_0
  jobManager: {resource: {memory: 640m}}
  taskManager: {replicas: 1, resource: {memory: 1024m}}
  flinkConfiguration:
    execution.checkpointing.interval: 1s
    execution.checkpointing.savepoint-dir: file://$rt/savepoints
  job:
    jarURI: file://$jar
    entryClass: dev.sluice.testjob.CountingJob
    args: ["--output", "$rt/output-$1", "--rate", "10"]
    parallelism: 1
    upgradeMode: savepoint
YAML
}
cat > "$rt/specs/clusters/edge.yaml" <<YAML
apiVersion: sluice.dev/v1alpha1
kind: Cluster
metadata: {name: edge, labels: {purpose: bench}}
spec: {tier: edge, driver: runtime, runtime: {url: "http://127.0.0.1:$rt_port", token: {file: $rt/token}}}
YAML
# The runtime's agent when it is built beside sluice (what `sluice runtime serve` runs then), else sluice itself.
agent_bin="$(dirname "$sluice_bin")/sluice-runtime"
if [ -x "$agent_bin" ]; then serve_cmd=("$agent_bin" serve); else serve_cmd=("$sluice_bin" runtime serve); fi
echo "runtime served by: ${serve_cmd[*]}"
"${serve_cmd[@]}" --listen "127.0.0.1:$rt_port" --token-file "$rt/token" --cluster edge --state-dir "$rt/state" 2>"$rt/runtime.log" &
rt_pid=$!
trap 'kill $rt_pid 2>/dev/null || true; "$sluice_bin" runtime down --cluster edge --state-dir "$rt/state" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $rt_port), 0.2)" 2>/dev/null && break; sleep 0.1; done

# CPU seconds (user + system, reaped children included: Flink's helper JVMs) of every process of a deployment.
jvm_cpu() {
  local total=0
  for pid in $(pgrep -f "$rt/state/runtime/edge/clusters/bench.$1/" || true); do
    total=$(python3 -c "import sys; f=open('/proc/$pid/stat').read().rsplit(')',1)[1].split(); print($total + sum(int(x) for x in f[11:15]) / 100)" 2>/dev/null || echo "$total")
  done
  echo "$total"
}
sync_job() {
  job "$1"
  local start end
  start=$(date +%s.%N)
  "$sluice_bin" sync --repo "$rt/specs" --state-dir "$rt/client" --quiet --health-timeout 120 >/dev/null
  end=$(date +%s.%N)
  python3 -c "import sys; print(f'sync of {sys.argv[1]} ({sys.argv[5]}) to RUNNING (and its first checkpoint): {float(sys.argv[3]) - float(sys.argv[2]):.2f} s; its JVMs used {float(sys.argv[4]):.1f} s of CPU; load average {sys.argv[6]}')" \
    "$1" "$start" "$end" "$(jvm_cpu "$1")" "$2" "$(cut -d' ' -f1-3 /proc/loadavg)"
}
sync_job job-a "no class-data archives yet"
# The runtime builds the archives in the background after its first start (once per Flink version).
for _ in $(seq 1 600); do
  [ -d "$rt/state/runtime/edge/cache/jvm" ] || break
  [ "$(ls "$rt"/state/runtime/edge/cache/jvm/*/*.size 2>/dev/null | wc -l)" -ge 3 ] && break
  sleep 1
done
echo "class-data archives: $(cat "$rt"/state/runtime/edge/cache/jvm/*/training.log 2>/dev/null | tail -1 || echo none) ($(du -sh "$rt"/state/runtime/edge/cache/jvm 2>/dev/null | cut -f1))"
sync_job job-b "with archives, one other deployment running"
sync_job job-c "with archives, two other deployments running"
python3 - "$rt_pid" <<'PY'
import sys, time
pid = sys.argv[1]
def ticks():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])
def memory():
    values = {}
    for line in open(f"/proc/{pid}/status"):
        key = line.split(":")[0]
        if key in ("VmRSS", "RssAnon", "RssFile"): values[key] = int(line.split()[1]) / 1024
    # PSS charges each shared page to the processes that map it in proportion: the runtime's fair share.
    for line in open(f"/proc/{pid}/smaps_rollup"):
        if line.startswith("Pss:"): values["Pss"] = int(line.split()[1]) / 1024
    return values
time.sleep(5)
t0, c0 = time.time(), ticks()
time.sleep(20)
t1, c1 = time.time(), ticks()
hz = 100
m = memory()
print(f"runtime idle with 3 deployments: {m['VmRSS']:.1f} MiB resident = {m['RssAnon']:.1f} MiB its own (heap, stacks) + {m['RssFile']:.1f} MiB of mapped binary and libraries (shared with other processes); proportional share (PSS) {m.get('Pss', 0):.1f} MiB; {100 * (c1 - c0) / hz / (t1 - t0):.2f} % of one core over {t1 - t0:.0f} s")
# Resident pages by mapped file, largest first: what the mapped share is made of.
files = {}
current = None
for line in open(f"/proc/{pid}/smaps"):
    parts = line.split()
    if len(parts) >= 5 and "-" in parts[0] and ":" not in parts[0]:
        current = parts[5] if len(parts) > 5 and parts[5].startswith("/") else None
    elif current and line.startswith("Rss:"):
        files[current] = files.get(current, 0) + int(parts[1])
top = sorted(files.items(), key=lambda item: -item[1])[:10]
print("  mapped files by resident size: " + ", ".join(f"{path.rsplit('/', 1)[-1]} {kib / 1024:.1f}" for path, kib in top) + " MiB")
PY
kill $rt_pid 2>/dev/null || true
"$sluice_bin" runtime down --cluster edge --state-dir "$rt/state" >/dev/null 2>&1 || true
echo
