import Foundation

/// Writes a synthetic spec repository: `clusters` Clusters over three tiers, `environments`
/// Environments with tier patches, and `jobs` FlinkDeployments, one file each.
enum SpecGenerator {
    static func write(to root: URL, jobs: Int, clusters: Int, environments: Int) throws {
        let fm = FileManager.default
        for dir in ["clusters", "environments", "jobs"] {
            try fm.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
        let tiers = ["public", "private", "edge"]
        let drivers = ["public": "kubernetes", "private": "flink", "edge": "runtime"]
        for c in 0..<clusters {
            let tier = tiers[c % tiers.count]
            var text = """
                apiVersion: sluice.dev/v1alpha1
                kind: Cluster
                metadata:
                  name: cluster-\(c)
                  labels:
                    env: env-\(c % environments)
                    region: region-\(c % 4)
                spec:
                  tier: \(tier)
                  driver: \(drivers[tier]!)

                """
            if tier == "private" { text += "  flink:\n    url: http://127.0.0.1:\(8081 + c)\n" }
            try text.write(to: root.appendingPathComponent("clusters/cluster-\(c).yaml"), atomically: true, encoding: .utf8)
        }
        for e in 0..<environments {
            let text = """
                apiVersion: sluice.dev/v1alpha1
                kind: Environment
                metadata:
                  name: env-\(e)
                spec:
                  namespace: flink-env-\(e)
                  wave: \(e)
                  clusters:
                    matchLabels:
                      env: env-\(e)
                  jobs:
                    matchExpressions:
                      - {key: shard, operator: In, values: ["\(e)", "all"]}
                  patches:
                    - target: {kind: FlinkDeployment, tier: edge}
                      merge:
                        spec:
                          jobManager: {resource: {memory: 1024m}}
                          taskManager: {resource: {memory: 1024m, cpu: 0.5}}
                    - target: {kind: FlinkDeployment, tier: private}
                      jsonPatch:
                        - {op: replace, path: /spec/job/parallelism, value: 2}

                """
            try text.write(to: root.appendingPathComponent("environments/env-\(e).yaml"), atomically: true, encoding: .utf8)
        }
        for j in 0..<jobs {
            let shard = j % 4 == 3 ? "all" : "\(j % environments)"
            let text = """
                apiVersion: flink.apache.org/v1beta1
                kind: FlinkDeployment
                metadata:
                  name: job-\(j)
                  labels:
                    app.kubernetes.io/name: job-\(j)
                    team: team-\(j % 17)
                    shard: "\(shard)"
                spec:
                  image: ghcr.io/example/flink-jobs:1.\(j % 9).0
                  flinkVersion: v2_1
                  serviceAccount: flink
                  flinkConfiguration:
                    taskmanager.numberOfTaskSlots: "2"
                    state.backend.type: rocksdb
                    execution.checkpointing.interval: 30s
                    execution.checkpointing.dir: s3://state/checkpoints/job-\(j)
                    execution.checkpointing.savepoint-dir: s3://state/savepoints/job-\(j)
                  jobManager:
                    replicas: 1
                    resource:
                      memory: 2048m
                      cpu: 1
                  taskManager:
                    replicas: \(1 + j % 4)
                    resource:
                      memory: 4096m
                      cpu: 2
                  job:
                    jarURI: local:///opt/flink/usrlib/job-\(j).jar
                    entryClass: com.example.Job\(j)
                    args: ["--input", "topic-\(j)", "--output", "topic-\(j)-out"]
                    parallelism: \(2 * (1 + j % 4) - j % 2)
                    upgradeMode: savepoint
                    state: running

                """
            try text.write(to: root.appendingPathComponent("jobs/job-\(j).yaml"), atomically: true, encoding: .utf8)
        }
    }
}
