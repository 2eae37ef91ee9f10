import Foundation
import SluiceFlink
import SluiceHTTP
import SluiceSync
import SluiceTestSupport
import Testing

/// A FlinkBlueGreenDeployment on a real Flink 2.3 session cluster, carried out as the operator's
/// blue/green controller does it (flink-kubernetes-operator, BlueGreenDeploymentService): blue is
/// savepointed without stopping, green starts from that savepoint as a new job, blue is cancelled
/// only once green is healthy, and a green that fails leaves blue running.
extension RealFlink {
@Suite("Blue/green transitions on a real Flink session cluster")
struct BlueGreenTests {
    static let owner = JobOwner(cluster: "local", object: "FlinkBlueGreenDeployment.flink.apache.org streaming/counter")

    /// The counting job as a FlinkBlueGreenDeployment (its FlinkDeployment spec under spec.template.spec).
    static func write(_ repo: SpecRepository, tag: String, entryClass: String = "dev.sluice.testjob.CountingJob") throws {
        try repo.write("jobs/counter.yaml", """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkBlueGreenDeployment
            metadata:
              name: counter
              labels:
                app.kubernetes.io/part-of: sluice-tests
            spec:
              configuration:
                kubernetes.operator.bluegreen.abort.grace-period: 5m
              template:
                spec:
                  flinkVersion: v2_0
                  flinkConfiguration:
                    taskmanager.numberOfTaskSlots: "2"
                    execution.checkpointing.interval: 1s
                    execution.checkpointing.savepoint-dir: \(repo.savepoints.absoluteString)
                  job:
                    jarURI: \(repo.jar.absoluteString)
                    entryClass: \(entryClass)
                    args: ["--keys", "4", "--rate", "40", "--output", "\(repo.output.path)", "--tag", "\(tag)"]
                    parallelism: 1
                    upgradeMode: savepoint
            """)
    }

    static func jobs(_ world: FlinkSyncTests.World) async throws -> [JobSummary] {
        try await FlinkClient(baseURL: world.flink.restURL, http: HTTPClient()).jobs().filter { owner.owns($0.id) }
    }

    @Test("blue is savepointed while running, green continues its keyed state as a new job, blue is cancelled; a green that fails leaves blue running")
    func transition() async throws {
        let world = try await FlinkSyncTests.World()
        defer { world.flink.stop() }

        try Self.write(world.repo, tag: "v1")
        var (plan, report) = try await world.sync()
        #expect(plan.clusters.first?.changes.map(\.kind) == [.create])
        #expect(world.result(report)?.status == .synced, "\(report.clusters)")
        _ = try await world.counts.await(tag: "v1", atLeast: 30)
        let blue = try #require(try await Self.jobs(world).first { !$0.state.isTerminal })

        // New program arguments: a TRANSITION in the operator's terms.
        try Self.write(world.repo, tag: "v2")
        let before = try #require(world.counts.counts(tag: "v1").max())
        (plan, report) = try await world.sync()
        let planned = try #require(plan.clusters.first?.changes.first)
        #expect(planned.kind == .upgrade && planned.blueGreenChange == .transition, "\(planned.kind): \(planned.reason)")
        #expect(planned.reason.contains("blue/green transition"))
        let applied = try #require(world.result(report)?.actions.first)
        #expect(applied.succeeded, "\(applied.message)")
        #expect(applied.message.contains("blue/green: green job"), "\(applied.message)")
        #expect(world.result(report)?.status == .synced, "\(report.clusters)")
        // Green started from a savepoint that exists on disk.
        let savepoint = try #require(applied.savepointPath)
        #expect(StateLocator.isComplete(savepoint) == true, "\(savepoint)")
        // Blue was cancelled, not stopped with a savepoint (that would end it FINISHED), and green is a new job.
        let after = try await Self.jobs(world)
        let green = try #require(after.first { !$0.state.isTerminal })
        #expect(green.id != blue.id)
        #expect(after.filter { !$0.state.isTerminal }.count == 1)
        #expect(after.first { $0.id == blue.id }?.state == .canceled)
        // Keyed state continued from blue's savepoint: green counts on from where blue was, not from 1.
        let resumed = try await world.counts.await(tag: "v2")
        #expect(resumed.min()! > before - 20, "green starts counting at \(resumed.min()!), but blue had reached \(before)")

        // A green that cannot start (its entry class does not exist): rolled back, blue (now the v2 job) keeps running.
        try Self.write(world.repo, tag: "v3", entryClass: "dev.sluice.testjob.NoSuchJob")
        let countsBefore = try #require(world.counts.counts(tag: "v2").max())
        (plan, report) = try await world.sync()
        #expect(plan.clusters.first?.changes.first?.blueGreenChange == .transition)
        let failed = try #require(world.result(report)?.actions.first)
        #expect(!failed.succeeded)
        #expect(failed.message.contains("rolled back") && failed.message.contains("blue job \(green.id) keeps running"), "\(failed.message)")
        let still = try await Self.jobs(world).filter { !$0.state.isTerminal }
        #expect(still.map(\.id) == [green.id])
        _ = try await world.counts.await(tag: "v2", atLeast: countsBefore + 10)
        #expect(world.counts.counts(tag: "v3").isEmpty)
        // Nothing was recorded as applied: the next plan still shows the transition.
        (plan, _) = try await world.sync(SyncOptions(dryRun: true))
        #expect(plan.clusters.first?.changes.first?.blueGreenChange == .transition)
    }
}
}
