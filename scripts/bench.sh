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
echo "== YAML parsing of the same bytes: Sluice (libyaml events -> Value) vs the floor (a C program reading the same"
echo "   files with libyaml's events and doing nothing else) and PyYAML's C loader (goal: <= 1.3x the floor, in CPU time,"
echo "   judged round by round in one process: the last line of this section before the instructions)"
floor_bin="$work/yaml-floor"
cc -O2 Benchmarks/yaml-floor/yaml_floor.c $(pkg-config --cflags --libs yaml-0.1) -o "$floor_bin"
# Interleaved pairs with the C program: this host's speed swings for seconds at a time, so one long
# run of each side can compare a fast phase with a slow one (2.6x and 1.0x were both seen that way).
# The median of the pairs' ratios ignores the pairs a swing fell into, but not a swing that lasts;
# the round-by-round comparison below barely moves with them. The best run of each side is
# shown too; when the speed swings, the two bests can come from different phases.
best_line() { sort -t' ' -k2 -g | head -1 | cut -d' ' -f3-; }
for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do
  "$bench" yaml-parse "$repo" 5 | sed -E 's/^(.* ([0-9.]+) s CPU)$/S \2 \1/'
  "$floor_bin" "$repo" 5 | sed -E 's/^(.* ([0-9.]+) s CPU)$/F \2 \1/'
done > "$work/yaml-runs"
sluice_line=$(grep '^S ' "$work/yaml-runs" | best_line)
floor_line=$(grep '^F ' "$work/yaml-runs" | best_line)
echo "   (12 interleaved pairs of runs, best of 5 iterations in each run; the best run of each side is shown)"
py_line=$(python3 - "$repo" <<'PY'
import sys, time, pathlib, yaml
files = sorted(pathlib.Path(sys.argv[1]).rglob("*.yaml"))
data = [f.read_bytes() for f in files]
best, best_cpu = float("inf"), float("inf")
for _ in range(5):
    t, c = time.perf_counter(), time.thread_time()
    for b in data:
        list(yaml.load_all(b, Loader=yaml.CSafeLoader))
    best, best_cpu = min(best, time.perf_counter() - t), min(best_cpu, time.thread_time() - c)
print(f"pyyaml-c: {len(files)} files, best of 5: {best:.4f} s wall, {best_cpu:.4f} s CPU")
PY
)
echo "$sluice_line"
echo "$floor_line"
echo "$py_line"
cpu() { echo "$1" | sed -E 's/.* ([0-9.]+) s CPU$/\1/'; }
python3 - "$work/yaml-runs" <<'PY'
import statistics, sys
runs = [line.split() for line in open(sys.argv[1])]
sluice = [float(r[1]) for r in runs if r[0] == "S"]
floor = [float(r[1]) for r in runs if r[0] == "F"]
ratios = sorted(s / f for s, f in zip(sluice, floor))
print(f"CPU time, pair by pair with the C program: Sluice = {statistics.median(ratios):.2f}x the floor, median of {len(ratios)} pairs "
      f"(pairs {ratios[0]:.2f}-{ratios[-1]:.2f}x)")
PY
python3 -c "s=$(cpu "$sluice_line"); f=$(cpu "$floor_line"); p=$(cpu "$py_line"); print(f'CPU time, best run of each side: Sluice = {s/f:.2f}x the floor; PyYAML CSafeLoader = {p/f:.1f}x the floor, {p/s:.1f}x Sluice')"
# The pairs above are separate processes seconds apart, and this host's speed swings within that
# (one pair read 0.7x, another 2.4x, in the same run). The goal is judged on the same comparison
# made round by round in one process, the floor's loop run from Sluice's process (the C program's
# calls on the same bytes): the median of 120 rounds' ratios moved by 0.02 over ten runs.
"$bench" yaml-vs-floor "$repo" 120
uptime | sed 's/.*load/load/'
# Instructions, which the machine's speed and its neighbours do not move: callgrind of one round
# and of three, whose difference is two rounds (start-up and reading the files cancel out).
# valgrind cannot read the release build's debug information, so it runs a copy without it.
if command -v valgrind >/dev/null && command -v strip >/dev/null; then
  strip --strip-debug -o "$work/sluice-bench.nodebug" "$bench"
  instructions() { { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 || true; } | sed -nE 's/.*Collected : ([0-9]+)$/\1/p'; }
  s1=$(instructions "$work/sluice-bench.nodebug" yaml-parse "$repo" 1)
  s3=$(instructions "$work/sluice-bench.nodebug" yaml-parse "$repo" 3)
  f1=$(instructions "$floor_bin" "$repo" 1)
  f3=$(instructions "$floor_bin" "$repo" 3)
  if [ -n "$s1" ] && [ -n "$s3" ] && [ -n "$f1" ] && [ -n "$f3" ]; then
    python3 -c "s = ($s3 - $s1) / 2; f = ($f3 - $f1) / 2; print(f'Instructions a round (callgrind): Sluice {s / 1e6:.1f} M, the floor {f / 1e6:.1f} M: Sluice = {s / f:.2f}x the floor')"
  else
    echo "Instructions a round: not measured (valgrind did not finish a run)"
  fi
else
  echo "Instructions a round: not measured (valgrind is not installed)"
fi

echo
echo "== sluice validate --revision HEAD over the same 1,000 jobs vs Python (PyYAML CSafeLoader + json.dumps of every document)"
echo "   (goal: Sluice < 0.2 s and < 64 MiB; CPU time = user + sys, as the machine may be shared)"
sluice_bin=$(dirname "$bench")/sluice
if [ -x "$sluice_bin" ]; then
  for i in 1 2 3; do
    python3 - "$sluice_bin" "$repo" <<'PY'
import resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run([sys.argv[1], "validate", "--repo", sys.argv[2], "--revision", "HEAD"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
wall = time.perf_counter() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"sluice validate: {u.ru_utime + u.ru_stime:.3f} s CPU ({wall:.3f} s wall), peak {u.ru_maxrss / 1024:.1f} MiB, exit {r.returncode}")
PY
    python3 - "$repo" <<'PY'
import sys, subprocess, time, resource
code = """
import sys, json, pathlib, yaml
for f in sorted(pathlib.Path(sys.argv[1]).rglob('*.yaml')):
    for d in yaml.load_all(f.read_bytes(), Loader=yaml.CSafeLoader):
        json.dumps(d, sort_keys=True)
"""
t = time.perf_counter()
r = subprocess.run([sys.executable, "-c", code, sys.argv[1]])
wall = time.perf_counter() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"python load + json.dumps: {u.ru_utime + u.ru_stime:.3f} s CPU ({wall:.3f} s wall), peak {u.ru_maxrss / 1024:.1f} MiB, exit {r.returncode}")
PY
  done
  uptime | sed 's/.*load/load/'
else
  echo "build the sluice product (make release) to run this benchmark"
fi

echo
echo "== sluice check: two revisions, a 20-job change, all 14 policies on every rendered object (goals: 1,000 jobs < 0.5 s wall and < 0.8 s CPU; 10,000 jobs < 4 s wall)"
sluice_bin=$(dirname "$bench")/sluice
# A pull request's worth of change on a generated repository: 20 jobs get a new image tag.
check_repo() {
  local repo=$1 jobs=$2
  cp -r policies "$repo/policies"
  git -C "$repo" add -A
  git -C "$repo" -c user.name=bench -c user.email=bench@localhost commit -qm "policies"
  for j in $(seq 0 $((jobs / 20)) $((jobs - 1)) | head -20); do sed -i -E 's/(flink-jobs:1\.[0-9]+)\.0/\1.1/' "$repo/jobs/job-$j.yaml"; done
  git -C "$repo" -c user.name=bench -c user.email=bench@localhost commit -qam "20 jobs move to a patch release"
}
time_check() {
  python3 - "$sluice_bin" "$1" "$2" <<'PY'
import os, resource, subprocess, sys, time, json
t = time.perf_counter()
r = subprocess.run([sys.argv[1], "check", "--repo", sys.argv[2], "--base", "HEAD~1", "--head", "HEAD", "--output", "json"],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
elapsed = time.perf_counter() - t
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
summary = json.loads(r.stdout)["summary"] if r.stdout else {}
print(f"sluice check, {sys.argv[3]} jobs: {elapsed:.3f} s wall, {usage.ru_utime + usage.ru_stime:.3f} s CPU, peak memory {usage.ru_maxrss / 1024:.1f} MiB, "
      f"exit {r.returncode}, {summary.get('violations', '?')} violations, {summary.get('changes', '?')} changes (load average {os.getloadavg()[0]:.1f})")
PY
}
if [ -x "$sluice_bin" ]; then
  check_repo "$repo" 1000
  for i in 1 2 3; do time_check "$repo" 1000; done
  big="$work/specs-10000"
  "$bench" generate-specs "$big" 10000 10 3
  git -C "$big" init -q -b main
  git -C "$big" add -A
  git -C "$big" -c user.name=bench -c user.email=bench@localhost commit -qm "10,000 FlinkDeployments"
  check_repo "$big" 10000
  for i in 1 2; do time_check "$big" 10000; done
else
  echo "build the sluice product (make release) to run this benchmark"
fi

# measure <label> <command...>: CPU time (user+sys), wall time, peak memory and the load average
# of one run, its standard output discarded.
measure() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
label, command = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
run = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
load = " ".join(open("/proc/loadavg").read().split()[:3])
print(f"{label}: {usage.ru_utime + usage.ru_stime:.2f} s CPU (user+sys), {wall:.2f} s wall, peak {usage.ru_maxrss / 1024:.1f} MiB, exit {run.returncode} (load average {load})")
if run.returncode not in (0,): sys.stderr.write(run.stderr.decode(errors="replace")[-2000:])
PY
}

echo
echo "== sluice render --output json, streamed, vs a Python load + render (goal: < 100 MiB peak at any size up to 10,000 jobs)"
if [ -x "$sluice_bin" ]; then
  for jobs in 1000 2000 4000 10000; do
    corpus="$work/render-$jobs"
    "$bench" generate-specs "$corpus" "$jobs" 10 3
    measure "sluice render --output json, $jobs jobs x 3 environments x 10 clusters" "$sluice_bin" render --path "$corpus" --output json
    measure "python load + render (PyYAML C loader, json), $jobs jobs" python3 scripts/render-peer.py "$corpus"
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
echo "== CEL: Sluice vs the C++ reference implementation (cel-expr-python), same expressions and data, per second of CPU time (goal: expr5, three clauses, > 600k/s and faster than the C++ engine with the binding's per-call cost subtracted)"
"$bench" cel 200000 | tee "$work/cel-sluice.txt"
if python3 -c 'import cel_expr_python' 2>/dev/null || pip install -q cel-expr-python >/dev/null 2>&1; then
  python3 - "$work/cel-sluice.txt" <<'PY'
import sys, time, re
import cel_expr_python.cel as cel
exprs = [
    "object.spec.job.parallelism <= object.spec.taskManager.replicas * 2 && object.spec.image.startsWith('ghcr.io/')",
    "['jobManager', 'taskManager'].all(role, role in object.spec && 'resource' in object.spec[role] && 'memory' in object.spec[role].resource)",
    "object.spec.flinkConfiguration.all(key, !key.matches('(?i)(password|secret|token)') || string(object.spec.flinkConfiguration[key]).startsWith('${'))",
    "has(object.spec.job) && object.spec.job.upgradeMode in ['savepoint', 'last-state']",
    "object.spec.job.parallelism <= object.spec.taskManager.replicas * 2 && object.spec.image.startsWith('ghcr.io/') && object.spec.job.upgradeMode != 'stateless'",
    "true",
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
n = 200000
def seconds_per_call(e):
    # CPU time of this thread: the machine is shared, the wall clock would measure the others too.
    best = float("inf")
    for _ in range(3):
        t = time.thread_time()
        for _ in range(n): e.eval(act)
        best = min(best, time.thread_time() - t)
    return best / n
per_call = {}
for i, src in enumerate(exprs):
    try:
        per_call[i] = seconds_per_call(env.compile(src))
    except Exception as err:
        print(f"cel-cpp    expr{i+1}: not compiled here ({str(err).splitlines()[0][:80]})")
overhead = per_call.get(len(exprs) - 1, 0.0)
print(f"cel-cpp    binding overhead: {overhead * 1e6:.2f} us per call (the trivial expression 'true' through the Python binding)")
for i in range(len(exprs) - 1):
    if i not in per_call: continue
    rate = 1 / per_call[i]
    engine = per_call[i] - overhead
    engine_rate = 1 / engine if engine > 0 else float("inf")
    print(f"cel-cpp    expr{i+1}: {rate:.0f} evals/s through the binding, {engine_rate:.0f} evals/s engine alone;"
          f"   sluice/binding = {sluice[i]/rate:.2f}, sluice/engine = {sluice[i]/engine_rate:.2f}")
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
echo "== sluice plan against 100 flink clusters, all in sync (goal: < 2 s; clusters read --parallelism at a time, default 8)"
if [ -x "$sluice_bin" ]; then
  for jobs in 1000 10000; do
    fleet="$PWD/$work/plan-fleet-$jobs"
    fleet_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$bench" prepare-fleet "$fleet" "$jobs" 100 "http://127.0.0.1:$fleet_port"
    python3 -m http.server "$fleet_port" --bind 127.0.0.1 --directory "$fleet/served" >/dev/null 2>&1 &
    fleet_server=$!
    for _ in $(seq 1 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $fleet_port), 0.2)" 2>/dev/null && break; sleep 0.1; done
    for parallelism in 8 1; do
      measure "sluice plan, $jobs jobs on 100 clusters, --parallelism $parallelism (exit 0: in sync)" \
        "$sluice_bin" plan --repo "$fleet/specs" --state-dir "$fleet/state" --parallelism "$parallelism"
    done
    kill "$fleet_server" 2>/dev/null || true
  done
else
  echo "build the sluice product (make release) to run this benchmark"
fi

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
scripts/bench-runtime.sh "$(dirname "$bench")/sluice" "$work/runtime-bench"

echo
echo "== sluice serve: commit to running through a signed webhook, Sluice's share separated (goal: Sluice < 500 ms)"
"$bench" serve-latency "$sluice_bin" 3

echo
echo "== sluice serve: an in-sync fleet, a full resync every round (goals: 1,000 jobs on 10 clusters < 150 MiB; 10,000 jobs on 100 clusters < 250 MiB and < 5 s of CPU per resync)"
"$bench" serve-resync "$sluice_bin" 1000 10 20
"$bench" serve-resync "$sluice_bin" 10000 100 60

echo "== the dashboard of a serve managing 1,000 jobs on 10 clusters: first render in headless Chromium (goal: < 1 s)"
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
PY
"$bench" dashboard-render "http://127.0.0.1:$api_port" bench 3
kill "$serve_pid" "$fleet_server" 2>/dev/null || true
