import Foundation
import SluiceCore
import SluiceKubernetes
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

/// A FlinkBlueGreenDeployment through the kubernetes driver against the fake API server, with the
/// test playing the operator's blue/green controller: it writes the status as
/// BlueGreenDeploymentService.patchStatusUpdateControl does (flink-kubernetes-operator 6e9caeb4).
@Suite("FlinkBlueGreenDeployment on the kubernetes driver")
struct KubernetesBlueGreenTests {
    static let reference = ObjectReference(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkBlueGreenDeployment", namespace: "apps", name: "orders")

    static func write(_ world: KubernetesDriverTests.World, jar: String) throws {
        _ = try world.work.write("specs/jobs/orders.yaml", """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkBlueGreenDeployment
            metadata: {name: orders, labels: {app.kubernetes.io/part-of: shop}}
            spec:
              configuration: {kubernetes.operator.bluegreen.abort.grace-period: 10m}
              template:
                spec:
                  image: ghcr.io/example/orders:1.0.0
                  flinkVersion: v2_0
                  serviceAccount: flink
                  flinkConfiguration:
                    execution.checkpointing:
                      interval: 10s
                  jobManager: {resource: {memory: 1024m, cpu: 1}}
                  taskManager: {resource: {memory: 2048m, cpu: 1}}
                  job: {jarURI: "\(jar)", parallelism: 2, upgradeMode: savepoint}
            """)
    }

    /// The operator's blue/green controller as far as status goes: each spec it has not reconciled
    /// goes through `transitional` states, then `settled` is written with lastReconciledSpec set.
    final class FakeOperator: @unchecked Sendable {
        let world: KubernetesDriverTests.World
        let lock = NSLock()
        var settled: (state: String, job: String, error: String?) = ("ACTIVE_BLUE", "RUNNING", nil)
        var transitional: [String] = ["INITIALIZING_BLUE"]
        var seen: [String] = []

        init(_ world: KubernetesDriverTests.World) { self.world = world }

        func set(settled: (String, String, String?), transitional: [String]) {
            lock.withLock { (self.settled, self.transitional) = (settled, transitional) }
        }

        func run() -> Task<Void, Never> {
            Task { [self] in
                var reconciled: String?
                for _ in 0..<400 where !Task.isCancelled {
                    if let object = try? await world.client.get(KubernetesBlueGreenTests.reference), let spec = object["spec"] {
                        let specJSON = JSON.encode(.map(Mapping([Mapping.Entry(key: "spec", value: spec.withoutLocations)])))
                        let (settled, steps) = lock.withLock { (self.settled, self.transitional) }
                        if specJSON != reconciled {
                            for state in steps {
                                self.status(state, job: "RECONCILING", error: nil, abort: "2999-01-01T00:00:00Z", reconciled: reconciled)
                                lock.withLock { seen.append(state) }
                                try? await Task.sleep(for: .milliseconds(300))
                            }
                            reconciled = specJSON
                        }
                        self.status(settled.state, job: settled.job, error: settled.error, abort: "1970-01-01T00:00:00Z", reconciled: specJSON)
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
        }

        private func status(_ state: String, job: String, error: String?, abort: String, reconciled: String?) {
            var status = Mapping()
            status["blueGreenState"] = .string(state)
            status["jobStatus"] = ["state": .string(job)]
            status["abortTimestamp"] = .string(abort)
            if let error { status["error"] = .string(error) }
            if let reconciled { status["lastReconciledSpec"] = .string(reconciled) }
            try? world.fake.setStatus(apiVersion: "flink.apache.org/v1beta1", kind: "FlinkBlueGreenDeployment", namespace: "apps", name: "orders",
                                      statusJSON: JSON.encode(.map(status)))
        }
    }

    @Test("create waits for ACTIVE_BLUE, a template change is a transition that waits for ACTIVE_GREEN, an abort fails the sync with the operator's reason")
    func lifecycle() async throws {
        let world = try KubernetesDriverTests.World()
        try world.deployment(present: false)
        try Self.write(world, jar: "local:///opt/flink/usrlib/orders-1.jar")
        let fakeOperator = FakeOperator(world)
        let task = fakeOperator.run()
        defer { task.cancel() }

        var (plan, report) = try await world.sync()
        let created = try #require(plan.clusters.first?.changes.first { $0.identity.kind == "FlinkBlueGreenDeployment" })
        #expect(created.kind == .create)
        #expect(report.succeeded, "\(report.clusters.map(\.message))")
        #expect(fakeOperator.lock.withLock { fakeOperator.seen } == ["INITIALIZING_BLUE"])
        let live = try #require(try await world.client.get(Self.reference))
        // Applied as written, with the children's configuration in the dotted form.
        #expect(live[path: "spec", "template", "spec", "flinkConfiguration", "execution.checkpointing.interval"]?.stringValue == "10s")
        #expect(KubernetesHealth.assess(live).status == .healthy)

        // A new jar: the operator's TRANSITION.
        fakeOperator.set(settled: ("ACTIVE_GREEN", "RUNNING", nil), transitional: ["SAVEPOINTING_BLUE", "TRANSITIONING_TO_GREEN"])
        try Self.write(world, jar: "local:///opt/flink/usrlib/orders-2.jar")
        (plan, report) = try await world.sync()
        let transition = try #require(plan.clusters.first?.changes.first)
        #expect(transition.kind == .upgrade && transition.blueGreenChange == .transition, "\(transition.kind) \(transition.reason)")
        #expect(report.succeeded, "\(report.clusters.map(\.message))")
        #expect(fakeOperator.lock.withLock { fakeOperator.seen }.suffix(2) == ["SAVEPOINTING_BLUE", "TRANSITIONING_TO_GREEN"])
        #expect(try await world.client.get(Self.reference)?[path: "status", "blueGreenState"]?.stringValue == "ACTIVE_GREEN")

        // The next transition is aborted: the operator rolls back to green and reports why.
        let why = "Aborting deployment 'orders-blue', rolling B/G deployment back to ACTIVE_GREEN"
        fakeOperator.set(settled: ("ACTIVE_GREEN", "FAILING", why), transitional: ["SAVEPOINTING_GREEN", "TRANSITIONING_TO_BLUE"])
        try Self.write(world, jar: "local:///opt/flink/usrlib/orders-3.jar")
        (plan, report) = try await world.sync(SyncOptions(healthTimeout: .seconds(8), healthPollInterval: .milliseconds(100)))
        #expect(!report.succeeded)
        #expect(report.clusters.map(\.message).joined().contains("Aborting deployment 'orders-blue'"), "\(report.clusters.map(\.message))")
    }
}
