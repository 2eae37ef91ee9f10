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

echo
echo "== sluice check over 1,000 jobs x 3 environments x all policies (goal: < 1 s)"
sluice_bin=$(dirname "$bench")/sluice
if [ -x "$sluice_bin" ]; then
  cp -r policies "$repo/policies"
  git -C "$repo" add -A
  git -C "$repo" -c user.name=bench -c user.email=bench@localhost commit -qm "policies"
  # A pull request's worth of change: 20 jobs get a new image tag.
  for j in $(seq 0 50 950); do sed -i -E 's/(flink-jobs:1\.[0-9]+)\.0/\1.1/' "$repo/jobs/job-$j.yaml"; done
  git -C "$repo" -c user.name=bench -c user.email=bench@localhost commit -qam "20 jobs move to a patch release"
  for i in 1 2 3; do
    python3 - "$sluice_bin" "$repo" <<'PY'
import resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run([sys.argv[1], "check", "--repo", sys.argv[2], "--base", "HEAD~1", "--head", "HEAD", "--output", "json"],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
elapsed = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
import json
summary = json.loads(r.stdout)["summary"] if r.stdout else {}
print(f"sluice check: {elapsed:.3f} s, peak memory {peak:.1f} MiB, exit {r.returncode}, {summary.get('violations', '?')} violations, {summary.get('changes', '?')} changes")
PY
  done
else
  echo "build the sluice product (make release) to run this benchmark"
fi

echo
echo "== signature verification per commit: SSH natively, OpenPGP through gpgv (goal: < 5 ms per commit)"
sig="$PWD/$work/signatures"
mkdir -p "$sig"
for type in ed25519 ecdsa rsa; do
  ssh-keygen -q -t "$type" -N '' -C "bench-$type" -f "$sig/$type"
  echo "bench@localhost $(cut -d' ' -f1,2 "$sig/$type.pub")" >> "$sig/allowed_signers"
  git init -q -b main "$sig/repo-$type"
  for i in $(seq 1 100); do
    git -C "$sig/repo-$type" -c user.name=bench -c user.email=bench@localhost -c gpg.format=ssh -c user.signingkey="$sig/$type" \
      commit -q -S --allow-empty -m "commit $i"
  done
  "$bench" verify-signatures "$sig/repo-$type" "$sig/allowed_signers" - 3 | sed "s/(ssh)/(ssh $type)/"
done
export GNUPGHOME="$sig/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --passphrase '' --quick-gen-key 'Bench <bench@localhost>' ed25519 sign 1y 2>/dev/null
fpr=$(gpg --with-colons --list-keys bench@localhost 2>/dev/null | awk -F: '/^fpr/{print $10; exit}')
gpg --batch --output "$sig/keyring.gpg" --export "$fpr" 2>/dev/null
git init -q -b main "$sig/repo-openpgp"
for i in $(seq 1 30); do
  git -C "$sig/repo-openpgp" -c user.name=bench -c user.email=bench@localhost -c user.signingkey="$fpr" commit -q -S --allow-empty -m "commit $i"
done
"$bench" verify-signatures "$sig/repo-openpgp" - "$sig/keyring.gpg" 3
gpgconf --kill all
unset GNUPGHOME

echo
echo "== CEL: Sluice vs the C++ reference implementation (cel-expr-python), same expressions and data (goal: faster per evaluation)"
"$bench" cel 20000 | tee "$work/cel-sluice.txt"
if python3 -c 'import cel_expr_python' 2>/dev/null || pip install -q cel-expr-python >/dev/null 2>&1; then
  python3 - "$work/cel-sluice.txt" <<'PY'
import sys, time, re
import cel_expr_python.cel as cel
exprs = [
    "object.spec.job.parallelism <= object.spec.taskManager.replicas * 2 && object.spec.image.startsWith('ghcr.io/')",
    "['jobManager', 'taskManager'].all(role, role in object.spec && 'resource' in object.spec[role] && 'memory' in object.spec[role].resource)",
    "object.spec.flinkConfiguration.all(key, !key.matches('(?i)(password|secret|token)') || string(object.spec.flinkConfiguration[key]).startsWith('${'))",
    "has(object.spec.job) && object.spec.job.upgradeMode in ['savepoint', 'last-state']",
]
obj = {"spec": {"image": "ghcr.io/example/jobs:1.2.3",
    "flinkConfiguration": {"taskmanager.numberOfTaskSlots": "2", "state.backend.type": "rocksdb", "execution.checkpointing.interval": "30s", "s3.secret-key": "${S3_SECRET}"},
    "jobManager": {"replicas": 2, "resource": {"memory": "2048m", "cpu": 1}},
    "taskManager": {"replicas": 2, "resource": {"memory": "4096m", "cpu": 2}},
    "job": {"parallelism": 4, "upgradeMode": "savepoint"}}}
sluice = [float(m) for m in re.findall(r": ([0-9.]+) evals/s", open(sys.argv[1]).read())]
try:
    from cel_expr_python import cel_ext_strings
    extensions = [cel_ext_strings.ExtStrings()]
except Exception:
    extensions = None
env = cel.NewEnv(variables={"object": cel.Type.DYN}, extensions=extensions) if extensions else cel.NewEnv(variables={"object": cel.Type.DYN})
act = env.Activation({"object": obj})
n = 20000
for i, src in enumerate(exprs):
    try:
        e = env.compile(src)
    except Exception as err:
        print(f"cel-cpp    expr{i+1}: not compiled here ({str(err).splitlines()[0][:80]})")
        continue
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(n): e.eval(act)
        best = min(best, time.perf_counter() - t)
    rate = n / best
    print(f"cel-cpp    expr{i+1}: {rate:.0f} evals/s   ratio sluice/cpp = {sluice[i]/rate:.2f}")
PY
else
  echo "cel-expr-python is not installable here; only Sluice's figures are shown"
fi

echo
echo "== plan of 1,000 Flink jobs against live state (goal: < 1 s)"
served="$work/flink-rest"
mkdir -p "$served"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$served" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break; sleep 0.1; done
"$bench" plan-live 1000 "$served" "http://127.0.0.1:$port"
kill $server 2>/dev/null || true

echo
echo "== apply 1,000 FlinkDeployments to the fake Kubernetes API server (goal: < 10 s, requests in parallel)"
"$bench" kube-apply 1000

echo
echo "== no-op plan of 10,000 FlinkDeployments against the fake Kubernetes API server (goal: < 150 MiB, 10x fewer requests than objects)"
if [ -x "$sluice_bin" ]; then
  "$bench" kube-noop-plan 10000 "$sluice_bin"
else
  echo "build the sluice product (make release) to run this benchmark"
fi

echo
echo "== planning 1,000 changes with a 100,000-record journal (goal: adds < 100 ms over an empty journal)"
"$bench" journal-plan 1000 100000

echo
echo "== savepoint upgrade on a real Flink session cluster, Sluice's share (incl. polling after Flink was done) separated by Flink's own timestamps (goal: Sluice < 300 ms per upgrade)"
scripts/install-flink.sh >/dev/null
"$bench" flink-upgrade 3

echo
echo "== bundled runtime: sluice sync to RUNNING, and the runtime's idle footprint with three deployments (goals: < 15 s, < 30 MiB)"
sluice_bin=$(dirname "$bench")/sluice
jar="${SLUICE_CACHE:-$HOME/.cache/sluice}/flink-test-job/sluice-test-job.jar"
rt="$PWD/$work/runtime-bench"
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
"$sluice_bin" runtime serve --listen "127.0.0.1:$rt_port" --token-file "$rt/token" --cluster edge --state-dir "$rt/state" 2>"$rt/runtime.log" &
rt_pid=$!
trap 'kill $rt_pid 2>/dev/null || true; "$sluice_bin" runtime down --cluster edge --state-dir "$rt/state" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $rt_port), 0.2)" 2>/dev/null && break; sleep 0.1; done
for j in job-a job-b job-c; do
  job "$j"
  start=$(date +%s.%N)
  "$sluice_bin" sync --repo "$rt/specs" --state-dir "$rt/client" --quiet --health-timeout 120 >/dev/null
  python3 -c "import sys; print(f'sync of {sys.argv[1]} to RUNNING (and its first checkpoint): {float(sys.argv[3]) - float(sys.argv[2]):.2f} s')" "$j" "$start" "$(date +%s.%N)"
done
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
print(f"runtime idle with 3 deployments: {m['VmRSS']:.1f} MiB resident = {m['RssAnon']:.1f} MiB its own (heap, stacks) + {m['RssFile']:.1f} MiB of mapped binary and libraries (Foundation, ICU, shared with other processes); proportional share (PSS) {m.get('Pss', 0):.1f} MiB; {100 * (c1 - c0) / hz / (t1 - t0):.2f} % of one core over {t1 - t0:.0f} s")
PY
kill $rt_pid 2>/dev/null || true
"$sluice_bin" runtime down --cluster edge --state-dir "$rt/state" >/dev/null 2>&1 || true

echo
echo "== sluice serve: commit to running through a signed webhook, Sluice's share separated (goal: Sluice < 500 ms)"
"$bench" serve-latency "$sluice_bin" 3

echo
echo "== sluice serve managing 1,000 jobs on 10 clusters, a full resync every round (goal: < 150 MiB)"
fleet="$PWD/$work/fleet"
fleet_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
api_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bench" prepare-fleet "$fleet" 1000 10 "http://127.0.0.1:$fleet_port"
git -C "$fleet/specs" init -q -b main && git -C "$fleet/specs" add -A && git -C "$fleet/specs" -c user.name=b -c user.email=b@l commit -qm fleet
python3 -m http.server "$fleet_port" --bind 127.0.0.1 --directory "$fleet/served" >/dev/null 2>&1 &
fleet_server=$!
SLUICE_API_READ_TOKEN=bench "$sluice_bin" serve --repo "$fleet/specs" --revision main --interval 2 --resync-every 1 \
  --listen "127.0.0.1:$api_port" --state-dir "$fleet/state" 2>"$fleet/serve.log" &
serve_pid=$!
python3 - "$serve_pid" "$api_port" <<'PY'
import sys, time, json, urllib.request
pid, port = sys.argv[1], sys.argv[2]
def status():
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/status", headers={"Authorization": "Bearer bench"})
    return json.load(urllib.request.urlopen(req, timeout=5))
deadline = time.time() + 120
while time.time() < deadline:
    try:
        if status().get("clusters"): break
    except Exception: pass
    time.sleep(0.5)
time.sleep(20)  # about ten more full rounds
doc = status()
objects = sum(len(c["objects"]) for c in doc["clusters"])
states = sorted({c["status"] for c in doc["clusters"]})
mem = {l.split(":")[0]: int(l.split()[1]) / 1024 for l in open(f"/proc/{pid}/status") if l.startswith(("VmRSS", "VmHWM"))}
print(f"serve with {objects} jobs on {len(doc['clusters'])} clusters (cluster status {states}): {mem['VmRSS']:.1f} MiB resident, peak {mem['VmHWM']:.1f} MiB")
PY
echo
echo "== the dashboard of that serve (1,000 jobs on 10 clusters): first render in headless Chromium (goal: < 1 s)"
"$bench" dashboard-render "http://127.0.0.1:$api_port" bench 3
kill "$serve_pid" "$fleet_server" 2>/dev/null || true
