import Foundation
import SluiceCore
import SluiceServer
import SluiceSpec
import SluiceSync
import SluiceTestSupport

/// The cost of a no-op plan at scale: `jobs` FlinkDeployments are applied to the fake API server,
/// then `sluice plan` runs as a separate process (so its peak memory is its own) against the
/// unchanged cluster; reports its time, peak RSS and API requests per object.
enum KubernetesNoopBenchmark {
    static func run(jobs: Int, sluice: String) async throws {
        let fake = try KubeFakeServer()
        let work = try TemporaryDirectory(prefix: "sluice-bench-noop")
        _ = try work.write("specs/clusters/k.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Cluster
            metadata: {name: k8s, labels: {purpose: bench}}
            spec: {tier: public, driver: kubernetes, kubernetes: {kubeconfig: \(fake.kubeconfigPath), context: admin}}
            """)
        _ = try work.write("specs/environments/e.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Environment
            metadata: {name: prod}
            spec: {namespace: flink, clusters: {matchLabels: {purpose: bench}}, jobs: {matchLabels: {app.kubernetes.io/part-of: bench}}}
            """)
        for j in 0..<jobs {
            _ = try work.write("specs/jobs/job-\(j).yaml", """
                apiVersion: flink.apache.org/v1beta1
                kind: FlinkDeployment
                metadata: {name: job-\(j), labels: {app.kubernetes.io/part-of: bench}}
                spec:
                  image: ghcr.io/example/jobs:1.\(j % 9).0
                  flinkVersion: v2_0
                  serviceAccount: flink
                  flinkConfiguration: {taskmanager.numberOfTaskSlots: "2", state.backend.type: rocksdb, execution.checkpointing.interval: 30s}
                  jobManager: {resource: {memory: 1024m, cpu: 1}}
                  taskManager: {replicas: \(1 + j % 3), resource: {memory: 2048m, cpu: 1}}
                  job: {jarURI: "local:///opt/flink/usrlib/job-\(j % 20).jar", parallelism: \(1 + j % 4), upgradeMode: savepoint}
                """)
        }
        let state = work.url.appendingPathComponent("state")
        let options = SyncOptions(healthTimeout: .zero, healthPollInterval: .milliseconds(1))
        let applyStart = ContinuousClock.now
        let planned = try await Pipeline(stateDirectory: state).plan(DirectoryTree(path: work.url.appendingPathComponent("specs").path), revision: "bench", options: options)
        // The health gate is not part of this measurement (the fake runs no operator).
        let window = ApplyWindow()
        let report = await planned.syncer.sync(planned.plan, state: planned.state, environments: planned.specs.environments, options: options) { event in
            if case .actionFinished(let result) = event { window.finish(ok: result.succeeded) }
        }
        await planned.syncer.close()
        let (_, applied, failed) = window.result()
        guard applied == jobs, failed == 0 else { throw BenchError("\(applied) of \(jobs) applied: \(report.clusters.map(\.message))") }
        let applySeconds = (ContinuousClock.now - applyStart).seconds

        let before = try fake.requestCount()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sluice)
        process.arguments = ["plan", "--repo", work.url.appendingPathComponent("specs").path, "--state-dir", state.path]
        process.standardOutput = FileHandle.nullDevice
        let start = ContinuousClock.now
        try process.run()
        process.waitUntilExit()
        let seconds = (ContinuousClock.now - start).seconds
        // Foundation reaps the child itself; the largest child waited for is this plan (the
        // fake's control calls are small Python processes).
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        let requests = try fake.requestCount() - before
        let exit = process.terminationStatus
        print(String(format: "kube-noop-plan: %d FlinkDeployments (applied in %.1f s); no-op `sluice plan` %.2f s, peak %.1f MiB, %d API requests (%.1f objects per request), exit %d",
                     jobs, applySeconds, seconds, Double(usage.ru_maxrss) / 1024, requests, Double(jobs) / Double(max(1, requests)), exit))
    }
}
