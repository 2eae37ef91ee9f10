import Foundation
import SluiceCore
import SluicePipeline
import SluiceServer
import SluiceSpec
import SluiceSync
import SluiceTestSupport

/// Applies `jobs` FlinkDeployments to the fake Kubernetes API server through the whole
/// pipeline and reports the apply phase's time and request rate (several requests in flight).
enum KubernetesBenchmark {
    static func run(jobs: Int) async throws {
        let fake = try KubeFakeServer()
        let work = try TemporaryDirectory(prefix: "sluice-bench-kube")
        try writeFleet(jobs: jobs, into: work, fake: fake)
        // The health gate is not part of this measurement (the fake runs no operator).
        let options = SyncOptions(healthTimeout: .zero, healthPollInterval: .milliseconds(1))
        let planStart = ContinuousClock.now
        let planned = try await Pipeline(stateDirectory: work.url.appendingPathComponent("state"))
            .plan(DirectoryTree(path: work.url.appendingPathComponent("specs").path), revision: "bench", options: options)
        let planSeconds = (ContinuousClock.now - planStart).seconds
        let requestsBefore = try fake.requests().count
        let window = ApplyWindow()
        let report = await planned.syncer.sync(planned.plan, state: planned.state, environments: planned.specs.environments, options: options) { event in
            switch event {
            case .actionStarted: window.start()
            case .actionFinished(let result): window.finish(ok: result.succeeded)
            default: break
            }
        }
        let (seconds, applied, failed) = window.result()
        let requests = try fake.requests().count - requestsBefore
        guard failed == 0 else { throw BenchError("\(failed) applies failed: \(report.clusters.map(\.message))") }
        print(String(format: "kube-apply: %d FlinkDeployments applied in %.2f s (%d requests, %.0f requests/s, up to %d in flight); plan against the empty cluster %.2f s",
                     applied, seconds, requests, Double(requests) / seconds, planned.syncer.drivers["k8s"]?.maxConcurrentActions ?? 1, planSeconds))
    }
}

/// The span from the first action started to the last finished, and the counts.
final class ApplyWindow: @unchecked Sendable {
    private let lock = NSLock()
    private var first: ContinuousClock.Instant?
    private var last: ContinuousClock.Instant?
    private var applied = 0, failed = 0

    func start() { lock.withLock { if first == nil { first = .now } } }
    func finish(ok: Bool) { lock.withLock { last = .now; if ok { applied += 1 } else { failed += 1 } } }
    func result() -> (Double, Int, Int) {
        lock.withLock { ((first.flatMap { start in last.map { ($0 - start).seconds } }) ?? 0, applied, failed) }
    }
}

extension KubernetesBenchmark {
    /// The folder holding the fake's kubeconfig: a host path the specs name, so it must be allowed.
    static func allowedRoot(_ fake: KubeFakeServer) -> String {
        URL(fileURLWithPath: fake.kubeconfigPath).deletingLastPathComponent().path
    }

    /// A spec repository under `work/specs`: one Kubernetes cluster (the fake), one environment and
    /// `jobs` FlinkDeployments with `flinkConfiguration`, if given.
    static func writeFleet(jobs: Int, into work: TemporaryDirectory, fake: KubeFakeServer, flinkConfiguration: String? = nil) throws {
        HostPathPolicy.shared.allow(allowedRoot(fake))
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
        let configuration = flinkConfiguration.map { "\n  flinkConfiguration: \($0)" } ?? ""
        for j in 0..<jobs {
            _ = try work.write("specs/jobs/job-\(j).yaml", """
                apiVersion: flink.apache.org/v1beta1
                kind: FlinkDeployment
                metadata: {name: job-\(j), labels: {app.kubernetes.io/part-of: bench}}
                spec:
                  image: ghcr.io/example/jobs:1.\(j % 9).0
                  flinkVersion: v2_0
                  serviceAccount: flink\(configuration)
                  jobManager: {resource: {memory: 1024m, cpu: 1}}
                  taskManager: {replicas: \(1 + j % 3), resource: {memory: 2048m, cpu: 1}}
                  job: {jarURI: "local:///opt/flink/usrlib/job-\(j % 20).jar", parallelism: \(1 + j % 4), upgradeMode: savepoint}
                """)
        }
    }
}
