import Foundation
import SluiceCore
import SluiceKubernetes
import SluicePipeline
import SluiceReport
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

/// Autoscalers own their fields, and ignore rules hide fields, through the whole pipeline against
/// the fake API server: an HPA scales through the `/scale` subresource as the HPA controller does
/// (field manager `kube-controller-manager`, an Update of the `scale` subresource).
@Suite("Kubernetes autoscalers and ignore rules")
struct KubernetesAutoscalerTests {
    final class World: @unchecked Sendable {
        let fake: KubeFakeServer
        let work: TemporaryDirectory
        let admin: KubernetesClient
        /// Plays the HorizontalPodAutoscaler controller.
        let hpaController: KubernetesClient
        var state: URL { work.url.appendingPathComponent("state") }
        static let flink = "flink.apache.org/v1beta1"

        init(selfHeal: Bool = false, ignore: String = "", hpa: Bool = true, autoscaler: Bool = false) throws {
            fake = try KubeFakeServer()
            work = try TemporaryDirectory(prefix: "sluice-kube-autoscaler")
            HostPathPolicy.shared.allow(URL(fileURLWithPath: fake.kubeconfigPath).deletingLastPathComponent().path)
            let connection = try KubeConfig.load(paths: [fake.kubeconfigPath]).connection(context: "admin")
            admin = try KubernetesClient(connection: connection, fieldManager: "test-admin")
            hpaController = try KubernetesClient(connection: connection, fieldManager: "kube-controller-manager")
            _ = try work.write("specs/clusters/k.yaml", """
                apiVersion: sluice.dev/v1alpha1
                kind: Cluster
                metadata: {name: k8s, labels: {purpose: test}}
                spec: {tier: public, driver: kubernetes, kubernetes: {kubeconfig: \(fake.kubeconfigPath), context: admin}}
                """)
            try environment(selfHeal: selfHeal, ignore: ignore)
            try flinkDeployment(replicas: 2, autoscaler: autoscaler)
            if hpa {
                _ = try work.write("specs/jobs/hpa.yaml", """
                    apiVersion: autoscaling/v2
                    kind: HorizontalPodAutoscaler
                    metadata: {name: counter-hpa, labels: {app.kubernetes.io/part-of: shop}}
                    spec:
                      scaleTargetRef: {apiVersion: flink.apache.org/v1beta1, kind: FlinkDeployment, name: counter}
                      minReplicas: 1
                      maxReplicas: 10
                    """)
            }
        }

        func environment(selfHeal: Bool, ignore: String = "") throws {
            _ = try work.write("specs/environments/e.yaml", """
                apiVersion: sluice.dev/v1alpha1
                kind: Environment
                metadata: {name: prod}
                spec:
                  namespace: apps
                  clusters: {matchLabels: {purpose: test}}
                  jobs: {matchLabels: {app.kubernetes.io/part-of: shop}}
                  syncPolicy: {selfHeal: \(selfHeal)}
                """ + (ignore.isEmpty ? "" : "\n  ignore:\n" + ignore))
        }

        func flinkDeployment(replicas: Int, image: String = "1.0.0", autoscaler: Bool = false, overrides: String? = nil) throws {
            var configuration = ""
            if autoscaler { configuration += "\n    job.autoscaler.enabled: \"true\"" }
            if let overrides { configuration += "\n    pipeline.jobvertex-parallelism-overrides: \"\(overrides)\"" }
            _ = try work.write("specs/jobs/counter.yaml", """
                apiVersion: flink.apache.org/v1beta1
                kind: FlinkDeployment
                metadata: {name: counter, labels: {app.kubernetes.io/part-of: shop}}
                spec:
                  image: ghcr.io/example/counter:\(image)
                  flinkVersion: v2_0
                  serviceAccount: flink
                  mode: standalone
                  flinkConfiguration:
                    taskmanager.numberOfTaskSlots: "2"\(configuration)
                  jobManager: {resource: {memory: 1024m, cpu: 1}}
                  taskManager: {replicas: \(replicas), resource: {memory: 2048m, cpu: 1}}
                  job: {jarURI: "local:///opt/flink/usrlib/counter.jar", parallelism: 2, upgradeMode: stateless}
                """)
        }

        var counter: ObjectReference { ObjectReference(apiVersion: Self.flink, kind: "FlinkDeployment", namespace: "apps", name: "counter") }

        func live() async throws -> Value { try #require(try await admin.get(counter)) }

        /// Plays the Flink operator (reports the FlinkDeployment running at its generation) and
        /// the HPA controller's status (ScalingActive once it reads metrics).
        func operatorReportsRunning() -> Task<Void, Never> {
            Task {
                for _ in 0..<400 where !Task.isCancelled {
                    if let object = try? await admin.get(counter), let generation = object[path: "metadata", "generation"]?.intValue {
                        try? fake.setStatus(apiVersion: Self.flink, kind: "FlinkDeployment", namespace: "apps", name: "counter",
                                            statusJSON: #"{"lifecycleState":"STABLE","jobManagerDeploymentStatus":"READY","jobStatus":{"state":"RUNNING"},"reconciliationStatus":{"state":"DEPLOYED"},"observedGeneration":\#(generation)}"#)
                    }
                    for hpa in ["counter-hpa", "platform-hpa"] {
                        let ref = ObjectReference(apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", namespace: "apps", name: hpa)
                        if (try? await admin.get(ref)) != nil {
                            try? fake.setStatus(apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", namespace: "apps", name: hpa,
                                                statusJSON: #"{"currentReplicas":2,"desiredReplicas":2,"conditions":[{"type":"AbleToScale","status":"True"},{"type":"ScalingActive","status":"True"}]}"#)
                        }
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }

        func plan(selfHeal: Bool = false) async throws -> Pipeline.Planned {
            try await Pipeline(stateDirectory: state).plan(DirectoryTree(path: work.url.appendingPathComponent("specs").path), revision: "test",
                                                           options: Self.options(selfHeal: selfHeal))
        }

        func sync(selfHeal: Bool = false) async throws -> (Plan, SyncReport) {
            let options = Self.options(selfHeal: selfHeal)
            let planned = try await plan(selfHeal: selfHeal)
            let report = await planned.syncer.sync(planned.plan, state: planned.state, environments: planned.specs.environments, options: options)
            await planned.syncer.close()
            return (planned.plan, report)
        }

        static func options(selfHeal: Bool) -> SyncOptions {
            SyncOptions(selfHeal: selfHeal, healthTimeout: .seconds(20), healthPollInterval: .milliseconds(100))
        }
    }

    static func action(_ plan: Plan, _ kind: String) -> PlannedAction? {
        plan.clusters.first?.actions.first { $0.identity.kind == kind }
    }

    @Test("an HPA in Git owns spec.taskManager.replicas: set on create; after a /scale write no drift, no heal, and the plan says who manages it")
    func hpaOwnsTheScaleField() async throws {
        let world = try World(selfHeal: true)
        let operatorTask = world.operatorReportsRunning()
        defer { operatorTask.cancel() }

        // Create sets the field from Git.
        var (plan, report) = try await world.sync(selfHeal: true)
        #expect(report.succeeded, "\(report.clusters.map(\.message))")
        #expect(Self.action(plan, "FlinkDeployment")?.kind == .create)
        #expect(try await world.live()[path: "spec", "taskManager", "replicas"]?.intValue == 2)

        // The HPA controller scales through the scale subresource (FlinkDeployment CRD:
        // subresources.scale.specReplicasPath .spec.taskManager.replicas).
        let scaled = try await world.hpaController.setScale(world.counter, replicas: 5)
        #expect(scaled[path: "spec", "replicas"]?.intValue == 5)
        let live = try await world.live()
        #expect(live[path: "spec", "taskManager", "replicas"]?.intValue == 5)
        let entries = live[path: "metadata", "managedFields"]?.listValue ?? []
        #expect(entries.contains { $0["manager"]?.stringValue == "kube-controller-manager" && $0["subresource"]?.stringValue == "scale" && $0["operation"]?.stringValue == "Update" })

        // No drift, no heal: the plan shows the field as the HPA's.
        let planned = try await world.plan(selfHeal: true)
        let step = try #require(Self.action(planned.plan, "FlinkDeployment"))
        #expect(step.kind == .none, "\(step.kind): \(step.reason) \(step.changes)")
        #expect(step.ignored.map(\.change.path) == ["spec.taskManager.replicas"])
        #expect(step.ignored.first?.reason == "managed by HorizontalPodAutoscaler counter-hpa")
        let text = PlanReport.text(planned.plan)
        #expect(text.contains("spec.taskManager.replicas: managed by HorizontalPodAutoscaler counter-hpa"), "\(text)")
        #expect(!planned.plan.hasChanges, "\(text)")
        await planned.syncer.close()

        (plan, report) = try await world.sync(selfHeal: true)
        #expect(report.succeeded)
        #expect(try await world.live()[path: "spec", "taskManager", "replicas"]?.intValue == 5, "self-heal left the HPA's value")

        // A Git change to the field is not applied either; another change is, and keeps the HPA's value.
        try world.flinkDeployment(replicas: 3, image: "1.0.1")
        (plan, report) = try await world.sync(selfHeal: true)
        #expect(report.succeeded, "\(report.clusters.map(\.message))")
        let upgrade = try #require(Self.action(plan, "FlinkDeployment"))
        #expect(upgrade.kind == .upgrade, "\(upgrade.kind): \(upgrade.reason)")
        #expect(upgrade.changes.map(\.path) == ["spec.image"])
        #expect(upgrade.ignored.map(\.change.path) == ["spec.taskManager.replicas"])
        let after = try await world.live()
        #expect(after[path: "spec", "image"]?.stringValue == "ghcr.io/example/counter:1.0.1")
        #expect(after[path: "spec", "taskManager", "replicas"]?.intValue == 5)
    }

    @Test("an HPA already on the cluster (not in Git) owns the scale field too")
    func hpaOnTheCluster() async throws {
        let world = try World(hpa: false)
        let operatorTask = world.operatorReportsRunning()
        defer { operatorTask.cancel() }
        var (_, report) = try await world.sync()
        #expect(report.succeeded, "\(report.clusters.map(\.message))")

        // Without an HPA, a scale write by someone else is drift.
        _ = try await world.hpaController.setScale(world.counter, replicas: 4)
        var planned = try await world.plan()
        #expect(Self.action(planned.plan, "FlinkDeployment")?.kind == .drift)
        await planned.syncer.close()

        _ = try await world.admin.apply([
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": ["name": "platform-hpa", "namespace": "apps"],
            "spec": ["scaleTargetRef": ["apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment", "name": "counter"],
                     "minReplicas": 1, "maxReplicas": 8],
        ])
        planned = try await world.plan()
        let step = try #require(Self.action(planned.plan, "FlinkDeployment"))
        #expect(step.kind == .none, "\(step.kind): \(step.reason)")
        #expect(step.ignored.first?.reason == "managed by HorizontalPodAutoscaler platform-hpa")
        await planned.syncer.close()
        (_, report) = try await world.sync(selfHeal: true)
        #expect(try await world.live()[path: "spec", "taskManager", "replicas"]?.intValue == 4)
    }

    @Test("ignore rules by JSON pointer and by field manager hide the field from drift and self-heal")
    func ignoreRules() async throws {
        for rule in ["    - {group: flink.apache.org, kind: FlinkDeployment, name: counter, jsonPointers: [/spec/taskManager/replicas]}",
                     "    - {kind: FlinkDeployment, managedFieldsManagers: [kube-controller-manager]}"] {
            let world = try World(hpa: false)
            let operatorTask = world.operatorReportsRunning()
            defer { operatorTask.cancel() }
            var (_, report) = try await world.sync()
            #expect(report.succeeded, "\(report.clusters.map(\.message))")
            _ = try await world.hpaController.setScale(world.counter, replicas: 6)

            try world.environment(selfHeal: true, ignore: rule)
            let planned = try await world.plan(selfHeal: true)
            let step = try #require(Self.action(planned.plan, "FlinkDeployment"))
            #expect(step.kind == .none, "\(rule): \(step.kind) \(step.reason) \(step.changes)")
            #expect(step.ignored.map(\.change.path) == ["spec.taskManager.replicas"], "\(rule)")
            #expect(step.ignored.first?.reason.contains("Environment prod spec.ignore[0]") == true, "\(step.ignored)")
            await planned.syncer.close()
            (_, report) = try await world.sync(selfHeal: true)
            #expect(report.succeeded)
            #expect(try await world.live()[path: "spec", "taskManager", "replicas"]?.intValue == 6, "\(rule)")
        }
    }

    @Test("the operator's autoscaler: its parallelism overrides are not drift, nor applied over")
    func operatorAutoscaler() async throws {
        // KubernetesScalingRealizer.realizeParallelismOverrides writes
        // pipeline.jobvertex-parallelism-overrides into spec.flinkConfiguration when
        // job.autoscaler.enabled (AutoScalerOptions.AUTOSCALER_ENABLED) is true.
        let world = try World(hpa: false, autoscaler: true)
        let operatorTask = world.operatorReportsRunning()
        defer { operatorTask.cancel() }
        var (_, report) = try await world.sync(selfHeal: true)
        #expect(report.succeeded, "\(report.clusters.map(\.message))")

        // Another writer (as the operator's autoscaler would persist it) sets overrides.
        let autoscaler = try KubernetesClient(connection: KubeConfig.load(paths: [world.fake.kubeconfigPath]).connection(context: "admin"),
                                              fieldManager: "flink-kubernetes-operator")
        _ = try await autoscaler.apply([
            "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
            "metadata": ["name": "counter", "namespace": "apps"],
            "spec": ["flinkConfiguration": ["pipeline.jobvertex-parallelism-overrides": "a1:4,b2:3"]],
        ])
        var planned = try await world.plan(selfHeal: true)
        var step = try #require(Self.action(planned.plan, "FlinkDeployment"))
        #expect(step.kind == .none, "\(step.kind): \(step.reason) \(step.changes)")
        #expect(step.ignored.map(\.change.path) == ["spec.flinkConfiguration[pipeline.jobvertex-parallelism-overrides]"])
        #expect(step.ignored.first?.reason == "managed by the Flink operator's autoscaler (job.autoscaler.enabled)")
        await planned.syncer.close()

        // Git writing its own overrides does not fight the autoscaler's either.
        try world.flinkDeployment(replicas: 2, autoscaler: true, overrides: "a1:1")
        planned = try await world.plan(selfHeal: true)
        step = try #require(Self.action(planned.plan, "FlinkDeployment"))
        #expect(!step.isChange, "\(step.kind): \(step.reason) \(step.changes)")
        await planned.syncer.close()
        (_, report) = try await world.sync(selfHeal: true)
        #expect(try await world.live()[path: "spec", "flinkConfiguration", "pipeline.jobvertex-parallelism-overrides"]?.stringValue == "a1:4,b2:3")

        // With the autoscaler off, the same overrides are a scale change (standalone mode).
        try world.flinkDeployment(replicas: 2, autoscaler: false, overrides: "a1:1")
        planned = try await world.plan(selfHeal: true)
        step = try #require(Self.action(planned.plan, "FlinkDeployment"))
        #expect(step.isChange, "\(step.kind): \(step.reason)")
        await planned.syncer.close()
    }
}
