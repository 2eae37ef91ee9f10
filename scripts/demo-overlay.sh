#!/usr/bin/env bash
# Makes a clone of this repository runnable on this machine's embedded runtime: commits Sluice's
# demo job into specs-example/artifacts and an Environment patch that maps the edge lab's job
# (a container image, jarURI local://) to it through the sluice.dev/jar-uri annotation.
#   scripts/demo-overlay.sh <work dir for checkpoints and output> [jar]   (run inside the clone)
set -euo pipefail
work=$1
jar=${2:-${SLUICE_CACHE:-$HOME/.cache/sluice}/flink-test-job/sluice-test-job.jar}
mkdir -p specs-example/artifacts "$work"
cp "$jar" specs-example/artifacts/sluice-demo-job.jar
python3 - "$work" <<'PY'
import sys, pathlib
work = sys.argv[1]
path = pathlib.Path("specs-example/environments/staging.yaml")
text = path.read_text()
patch = f"""    # make demo: the edge lab runs Sluice's demo job (a keyed counter) on this machine.
    - target:
        kind: FlinkDeployment
        tier: edge
      merge:
        metadata:
          annotations:
            sluice.dev/jar-uri: specs-example/artifacts/sluice-demo-job.jar
        spec:
          flinkConfiguration:
            execution.checkpointing.interval: 2s
            execution.checkpointing.dir: file://{work}/checkpoints
            execution.checkpointing.savepoint-dir: file://{work}/savepoints
          jobManager: {{resource: {{memory: 768m}}}}
          taskManager: {{replicas: 1, resource: {{memory: 1024m}}}}
          job:
            entryClass: dev.sluice.testjob.CountingJob
            args: ["--output", "{work}/output", "--tag", "v1", "--rate", "20"]
            parallelism: 1
"""
path.write_text(text.replace("  syncPolicy:", patch + "  syncPolicy:", 1))
PY
git add -A
git -c user.name="Sluice demo" -c user.email=demo@localhost commit -qm "demo: run the edge lab's job with Sluice's demo jar"
