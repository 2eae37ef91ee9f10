import Foundation
import SluiceCore
import SluiceFlink
import SluiceRuntime
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import Testing

extension RealFlink {
/// Issue 12, failure 3 on the bundled runtime: a deployment whose processes are gone (a reboot,
/// `sluice runtime down`) while Git still wants it running is `lost`, never "in sync", and sync
/// starts it again from its newest retained checkpoint: the keyed sums continue.
@Suite("State safety on the bundled runtime")
struct RuntimeStateSafetyTests {
    @Test("a runtime deployment whose processes are gone is lost, and sync restores it from its newest checkpoint")
    func lostDeployment() async throws {
        try await RuntimeSyncTests.inWorld(scenario)
    }

    func scenario(_ world: RuntimeSyncTests.World) async throws {
        try world.repo.job(RuntimeSyncTests.job(tag: "v1"))
        var (plan, report) = try await world.sync()
        #expect(report.succeeded, "\(report.clusters)")
        _ = try await world.counts.await(tag: "v1", atLeast: 40)

        // The processes go away; the applied spec still says running.
        let runtime = try world.runtime
        await runtime.supervisor.stop("streaming.counter")
        let reached = try #require(world.counts.counts(tag: "v1").max())
        for file in try FileManager.default.contentsOfDirectory(atPath: world.counts.output.path) where file.hasPrefix("counts-") {
            try FileManager.default.moveItem(at: world.counts.output.appendingPathComponent(file),
                                             to: world.counts.output.appendingPathComponent("before-\(file)"))
        }

        (plan, report) = try await world.sync()
        let action = try #require(plan.clusters.first?.changes.first, "a lost deployment is a change: \(String(describing: plan.clusters.first?.actions.map(\.reason)))")
        #expect(action.kind == .restore && action.reason.hasPrefix("lost:"), "\(action.kind) \(action.reason)")
        #expect(report.succeeded, "\(report.clusters)")
        #expect(report.clusters.first?.actions.first?.savepointPath?.contains("/chk-") == true,
                "\(String(describing: report.clusters.first?.actions.first?.message))")
        let after = try await world.counts.await(tag: "v1")
        // Checkpoints every second at 10 records per key and second: a few seconds back at most, never from 1.
        #expect(after.min()! > reached - 60, "the restored job starts at \(after.min()!), the state had reached \(reached)")

        // Running as desired again: the next plan is in sync.
        (plan, _) = try await world.sync()
        #expect(!plan.hasChanges, "\(String(describing: plan.clusters.first?.actions.map(\.reason)))")
    }
}
}
