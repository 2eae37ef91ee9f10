import Foundation
import SluiceCore
import SluiceKubernetes
import SluicePipeline
import SluiceServer
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

/// The kubernetes driver through the whole pipeline (render, plan, policy gate, sync), against
/// the protocol-faithful fake API server.
@Suite("Kubernetes driver against the fake API server")
struct KubernetesDriverTests {
    /// A spec repository with one kubernetes cluster and a ConfigMap and a FlinkDeployment.
    final class World: @unchecked Sendable {
        let fake: KubeFakeServer
        let work: TemporaryDirectory
        let client: KubernetesClient
        var state: URL { work.url.appendingPathComponent("state") }

        init(context: String = "admin", namespace: String = "apps", selfHeal: Bool = false) throws {
            fake = try KubeFakeServer()
            work = try TemporaryDirectory(prefix: "sluice-kube-driver")
            // The operator of this host allows the fake's kubeconfig folder; specs may name it.
            HostPathPolicy.shared.allow(URL(fileURLWithPath: fake.kubeconfigPath).deletingLastPathComponent().path)
            client = try KubernetesClient(connection: KubeConfig.load(paths: [fake.kubeconfigPath]).connection(context: "admin"), fieldManager: "kubectl-edit")
            _ = try work.write("specs/clusters/k.yaml", """
                apiVersion: sluice.dev/v1alpha1
                kind: Cluster
                metadata: {name: k8s, labels: {purpose: test}}
                spec: {tier: public, driver: kubernetes, kubernetes: {kubeconfig: \(fake.kubeconfigPath), context: \(context)}}
                """)
            _ = try work.write("specs/environments/e.yaml", """
                apiVersion: sluice.dev/v1alpha1
                kind: Environment
                metadata: {name: prod}
                spec:
                  namespace: \(namespace)
                  clusters: {matchLabels: {purpose: test}}
                  jobs: {matchLabels: {app.kubernetes.io/part-of: shop}}
                  syncPolicy: {selfHeal: \(selfHeal)}
                """)
            try configMap(mode: "fast")
            try deployment(present: true)
        }

        func configMap(mode: String) throws {
            _ = try work.write("specs/jobs/settings.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings, labels: {app.kubernetes.io/part-of: shop}}
                data: {mode: \(mode)}
                """)
        }

        func deployment(present: Bool) throws {
            let file = work.url.appendingPathComponent("specs/jobs/counter.yaml")
            guard present else { try? FileManager.default.removeItem(at: file); return }
            _ = try work.write("specs/jobs/counter.yaml", """
                apiVersion: flink.apache.org/v1beta1
                kind: FlinkDeployment
                metadata: {name: counter, labels: {app.kubernetes.io/part-of: shop}}
                spec:
                  image: ghcr.io/example/counter:1.0.0
                  flinkVersion: v2_0
                  serviceAccount: flink
                  jobManager: {resource: {memory: 1024m, cpu: 1}}
                  taskManager: {resource: {memory: 2048m, cpu: 1}}
                  job: {jarURI: "local:///opt/flink/usrlib/counter.jar", parallelism: 2, upgradeMode: stateless}
                """)
        }

        /// Plays the Flink operator: reports the FlinkDeployment running once it exists.
        func operatorReportsRunning(namespace: String = "apps") -> Task<Void, Never> {
            Task {
                for _ in 0..<200 where !Task.isCancelled {
                    let ref = ObjectReference(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment", namespace: namespace, name: "counter")
                    if let object = try? await client.get(ref), let generation = object[path: "metadata", "generation"]?.intValue {
                        try? fake.setStatus(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment", namespace: namespace, name: "counter",
                                            statusJSON: #"{"lifecycleState":"STABLE","jobManagerDeploymentStatus":"READY","jobStatus":{"state":"RUNNING"},"reconciliationStatus":{"state":"DEPLOYED"},"observedGeneration":\#(generation)}"#)
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }

        func sync(_ options: SyncOptions = SyncOptions(healthTimeout: .seconds(20), healthPollInterval: .milliseconds(100))) async throws -> (Plan, SyncReport) {
            let planned = try await Pipeline(stateDirectory: state).plan(DirectoryTree(path: work.url.appendingPathComponent("specs").path), revision: "test", options: options)
            return (planned.plan, await planned.syncer.sync(planned.plan, state: planned.state, environments: planned.specs.environments, options: options))
        }

        func settings() async throws -> Value? {
            try await client.get(ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "settings"))
        }
    }

    @Test("first sync, no-op second sync, update, drift reported then self-healed, prune of a removed job")
    func lifecycle() async throws {
        let world = try World()
        let operatorTask = world.operatorReportsRunning()
        defer { operatorTask.cancel() }

        var (plan, report) = try await world.sync()
        #expect(Set(plan.clusters.first?.changes.map(\.kind) ?? []) == [.create])
        #expect(report.succeeded, "\(report.clusters.map(\.message))")
        #expect(try await world.settings()?[path: "data", "mode"]?.stringValue == "fast")
        #expect(try await world.settings()?[path: "metadata", "labels", Ownership.managedByLabel]?.stringValue == "sluice")

        // Second sync: nothing to do, nothing written (dry runs only).
        let writesBefore = try world.fake.requests().filter { $0.hasPrefix("PATCH") && !$0.contains("dryRun") }.count
        (plan, report) = try await world.sync()
        #expect(!plan.hasChanges, "\(plan.clusters.first?.changes.map { "\($0.kind) \($0.identity) \($0.changes)" } ?? [])")
        #expect(report.clusters.first?.status == .unchanged)
        #expect(try world.fake.requests().filter { $0.hasPrefix("PATCH") && !$0.contains("dryRun") }.count == writesBefore)

        // Update from Git.
        try world.configMap(mode: "slow")
        (plan, report) = try await world.sync()
        #expect(plan.clusters.first?.changes.map(\.kind) == [.update])
        #expect(try await world.settings()?[path: "data", "mode"]?.stringValue == "slow")

        // Someone edits the object on the cluster: reported as drift, healed only with selfHeal.
        var edited = try #require(try await world.settings())
        if case .map(var root) = edited.kind {
            root["data"] = ["mode": "hand-edited"]
            root.removeValue(forKey: "metadata")
            root["metadata"] = ["name": "settings", "namespace": "apps"]
            edited.kind = .map(root)
        }
        _ = try await world.client.apply(edited, force: true)
        (plan, _) = try await world.sync()
        let drift = try #require(plan.clusters.first?.actions.first { $0.identity.kind == "ConfigMap" })
        #expect(drift.kind == .drift, "\(drift.kind): \(drift.reason)")
        #expect(drift.changes.contains { $0.path == "data.mode" })
        #expect(try await world.settings()?[path: "data", "mode"]?.stringValue == "hand-edited")
        var healing = SyncOptions(healthTimeout: .seconds(20), healthPollInterval: .milliseconds(100))
        healing.selfHeal = true
        (plan, report) = try await world.sync(healing)
        #expect(plan.clusters.first?.changes.first?.kind == .update)
        #expect(try await world.settings()?[path: "data", "mode"]?.stringValue == "slow", "self-heal put Git's value back")

        // The job is removed from Git: pruned (one of two owned objects).
        try world.deployment(present: false)
        var pruning = SyncOptions(healthTimeout: .seconds(20), healthPollInterval: .milliseconds(100))
        pruning.prune = true
        (plan, report) = try await world.sync(pruning)
        #expect(plan.clusters.first?.changes.map(\.kind) == [.delete])
        #expect(report.succeeded, "\(report.clusters.map(\.message))")
        #expect(try await world.client.get(ObjectReference(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkDeployment", namespace: "apps", name: "counter")) == nil)
    }

    @Test("an object Sluice does not own is never changed or deleted")
    func unowned() async throws {
        let world = try World()
        try await world.client.ensureNamespace("apps", labels: [:])
        _ = try await world.client.apply(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "settings", "namespace": "apps"], "data": ["mode": "theirs"]])
        let operatorTask = world.operatorReportsRunning()
        defer { operatorTask.cancel() }
        var pruning = SyncOptions(healthTimeout: .seconds(20), healthPollInterval: .milliseconds(100))
        pruning.prune = true
        let (plan, report) = try await world.sync(pruning)
        let conflict = try #require(plan.clusters.first?.actions.first { $0.identity.kind == "ConfigMap" }, "\(plan.clusters.first?.failure?.description ?? "no error")")
        #expect(conflict.kind == .conflict)
        #expect(report.clusters.first?.status == .failed)
        #expect(report.clusters.first?.message.contains("not managed by Sluice") == true)
        #expect(try await world.settings()?[path: "data", "mode"]?.stringValue == "theirs")
    }

    @Test("a namespace the credentials may not write to fails with what to grant")
    func forbidden() async throws {
        let world = try World(context: "limited", namespace: "restricted")
        let (_, report) = try await world.sync()
        let result = try #require(report.clusters.first)
        #expect(result.status == .failed)
        #expect(result.message.contains("403") || result.message.lowercased().contains("forbidden"), "\(result.message)")
        let hint = result.actions.first?.message ?? ""
        #expect(hint.contains("grant"), "\(hint)")
    }
}
