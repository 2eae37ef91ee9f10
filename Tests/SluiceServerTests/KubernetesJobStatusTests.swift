import Foundation
import SluiceCore
import SluiceGit
import SluiceHTTP
import SluiceKubernetes
import SluicePipeline
import SluiceServer
import SluiceSpec
import SluiceStatusClient
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

/// The status API's `job` fields on a kubernetes cluster, read from what the Flink Kubernetes
/// Operator writes in each FlinkDeployment's status (flink-kubernetes-operator 6e9caeb4,
/// api/status/JobStatus.java: `jobId`, `state`, the deprecated `savepointInfo.lastSavepoint`
/// {`location`, `timeStamp`} and `checkpointInfo.lastCheckpoint` {`timeStamp`, no id}), served by
/// an in-process `serve` whose round syncs a fake API server.
@Suite("the status API's jobs on a kubernetes cluster")
struct KubernetesJobStatusTests {
    static let jobID = "5f0c3e1f9a0b4d6e8c2a7b1d3e5f7a9b"
    static let savepoint = "s3://flink-state/savepoints/orders/savepoint-5f0c3e-0123456789ab"
    /// 2026-11-30T10:00:00Z in milliseconds, as the operator writes `timeStamp`.
    static let savepointMillis: Int64 = 1_796_032_800_000

    @Test("a FlinkDeployment's job state, id and last savepoint show as the job's fields (source operator); restarts and lastCheckpoint stay null; a status without jobStatus gives nulls")
    func jobFieldsFromOperatorStatus() async throws {
        let fake = try KubeFakeServer()
        HostPathPolicy.shared.allow(URL(fileURLWithPath: fake.kubeconfigPath).deletingLastPathComponent().path)
        let fixture = try GitFixtureRepo()
        func deployment(_ name: String) -> String {
            """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkDeployment
            metadata: {name: \(name), labels: {app: shop}}
            spec:
              image: ghcr.io/example/\(name):1.0.0
              flinkVersion: v2_0
              serviceAccount: flink
              jobManager: {resource: {memory: 1024m, cpu: 1}}
              taskManager: {resource: {memory: 2048m, cpu: 1}}
              job: {jarURI: "local:///opt/flink/usrlib/\(name).jar", parallelism: 2, upgradeMode: savepoint}
            """
        }
        _ = try fixture.commit("first", files: [
            "clusters/k.yaml": """
                apiVersion: sluice.dev/v1alpha1
                kind: Cluster
                metadata: {name: k8s, labels: {site: test}}
                spec: {tier: public, driver: kubernetes, kubernetes: {kubeconfig: \(fake.kubeconfigPath), context: admin}}
                """,
            "environments/e.yaml": """
                apiVersion: sluice.dev/v1alpha1
                kind: Environment
                metadata: {name: prod}
                spec: {namespace: apps, clusters: {matchLabels: {site: test}}, jobs: {matchLabels: {app: shop}}}
                """,
            "jobs/orders.yaml": deployment("orders"),
            "jobs/payments.yaml": deployment("payments"),
        ])

        // The operator: orders runs with a savepoint and an operator-triggered checkpoint on
        // record; payments reports a ready deployment and nothing about its job's id or snapshots.
        let client = try KubernetesClient(connection: KubeConfig.load(paths: [fake.kubeconfigPath]).connection(context: "admin"))
        let statuses = [
            "orders": #"{"lifecycleState":"STABLE","jobManagerDeploymentStatus":"READY","reconciliationStatus":{"state":"DEPLOYED"},"jobStatus":{"jobName":"orders","jobId":"\#(Self.jobID)","state":"RUNNING","savepointInfo":{"lastSavepoint":{"timeStamp":\#(Self.savepointMillis),"location":"\#(Self.savepoint)","triggerType":"MANUAL","formatType":"CANONICAL","triggerNonce":3},"savepointHistory":[],"lastPeriodicSavepointTimestamp":0},"checkpointInfo":{"lastCheckpoint":{"timeStamp":\#(Self.savepointMillis + 60_000),"triggerType":"PERIODIC","formatType":"FULL"},"lastPeriodicCheckpointTimestamp":\#(Self.savepointMillis + 60_000)}},"observedGeneration":GENERATION}"#,
            "payments": #"{"lifecycleState":"STABLE","jobManagerDeploymentStatus":"READY","reconciliationStatus":{"state":"DEPLOYED"},"jobStatus":{"state":"RUNNING"},"observedGeneration":GENERATION}"#,
        ]
        let flinkOperator = Task {
            for _ in 0..<1500 where !Task.isCancelled {
                for (name, status) in statuses {
                    let ref = ObjectReference(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment", namespace: "apps", name: name)
                    guard let object = try? await client.get(ref), let generation = object[path: "metadata", "generation"]?.intValue,
                          object[path: "status", "observedGeneration"]?.intValue != generation else { continue }
                    let json = status.replacingOccurrences(of: "GENERATION", with: "\(generation)")
                    _ = try? await onDedicatedThread("fake-operator") {
                        try fake.setStatus(apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace, name: ref.name, statusJSON: json)
                    }
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        defer { flinkOperator.cancel() }

        let state = try TemporaryDirectory(prefix: "sluice-kube-jobs-state")
        let options = SyncOptions(healthTimeout: .seconds(60), healthPollInterval: .milliseconds(100))
        let loop = ReconcileLoop(repository: try GitRepository.open(path: fixture.path), pipeline: Pipeline(stateDirectory: state.url),
                                 configuration: .init(revision: "HEAD", interval: .seconds(3600), options: options)) { _ in }
        let server = ServiceServer(loop: loop, journal: nil, metrics: SluiceMetrics(), webhooks: nil, tokens: .init(read: "ro", operate: "op"))
        let serve = try await InProcessServe(loop: loop, server: server)
        defer { serve.cancel() }
        let reader = StatusClient(server: serve.base, token: "ro", tokenSource: "the test")
        func jobs() async -> [String: JobStatus] {
            guard let view = try? await reader.status().view else { return [:] }
            let objects = view.clusters.first { $0.name == "k8s" }?.objects ?? []
            return Dictionary(objects.compactMap { object in object.job.map { (object.object, $0) } }, uniquingKeysWith: { first, _ in first })
        }
        var seen: [String: JobStatus] = [:]
        let ready = await eventually(timeout: .seconds(120)) {
            seen = await jobs()
            return seen.values.filter { $0.state == "RUNNING" }.count == 2
        }
        #expect(ready, "both jobs read from the operator's status: \(seen)")

        let orders = try #require(seen.first { $0.key.hasSuffix("/orders") }?.value, "\(seen.keys)")
        #expect(orders.jobID == Self.jobID)
        #expect(orders.state == "RUNNING")
        #expect(orders.upgradeMode == "savepoint" && orders.parallelism == 2)
        #expect(orders.lastSavepoint?.path == Self.savepoint)
        #expect(orders.lastSavepoint?.source == "operator")
        #expect(orders.lastSavepoint?.time.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } == Self.savepointMillis)
        // The operator counts no restarts, and its lastCheckpoint is one it triggered (no id): never shown as Flink's newest.
        #expect(orders.restarts == nil)
        #expect(orders.lastCheckpoint == nil)
        #expect(orders.observedAt != nil)

        let payments = try #require(seen.first { $0.key.hasSuffix("/payments") }?.value, "\(seen.keys)")
        #expect(payments.state == "RUNNING")
        #expect(payments.jobID == nil && payments.lastSavepoint == nil && payments.lastCheckpoint == nil && payments.restarts == nil, "\(payments)")

        // The raw JSON carries the nulls (never a 0 for restarts).
        let raw = try #require(try? await reader.status().json)
        let text = String(decoding: raw, as: UTF8.self).filter { !$0.isWhitespace }
        #expect(text.contains(#""source":"operator""#), "\(text.prefix(2000))")
        #expect(!text.contains(#""restarts":0"#), "\(text.prefix(2000))")
        await loop.stop()
    }
}
