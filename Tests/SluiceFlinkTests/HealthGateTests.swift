import Foundation
import SluiceCore
import SluiceFlink
import SluiceHTTP
import SluiceSync
import SluiceTestSupport
import Testing

/// The health gate on a real Flink 2.3 session cluster at its default `web.refresh-interval`
/// (3 s), issue 12 item 6: Flink caches `/jobs/<id>` and `/jobs/<id>/checkpoints` that long, so a
/// gate reading them accepted the second or third checkpoint after a change instead of the first.
/// The gate reads the overview's subtask counts and the checkpoint's `_metadata` in the local
/// checkpoint directory instead.
extension RealFlink.FlinkSyncTests {
    @Test("the health gate sees the first checkpoint since the change at Flink's default refresh interval, at parallelism 2")
    func healthGateFirstCheckpoint() async throws {
        let world = try await World()
        defer { world.flink.stop() }
        // The operator of this host lets Sluice read the cluster's checkpoint directory.
        HostPathPolicy.shared.allow(world.flink.checkpointDir.path)
        var job = SpecRepository.Job()
        job.parallelism = 2
        try world.repo.job(job)
        let options = SyncOptions(healthTimeout: .seconds(90), healthPollInterval: .milliseconds(100))
        let journal = try Journal(directory: world.stateDirectory)
        func gateMessage() throws -> String {
            try #require(journal.records().last { $0.step == .healthGate && $0.phase == .outcome }?.message)
        }

        var (_, report) = try await world.sync(options)
        #expect(report.succeeded, "\(report.clusters.map(\.message))")
        // Checkpoints come every second; the gate polls every 100 ms and must report the
        // job's first one. Through the 3 s cache it saw checkpoint 2 or 3.
        let first = try gateMessage()
        #expect(first.hasSuffix("checkpoint 1 completed"), "\(first)")

        // A savepoint upgrade: the new job restores savepoint N, so its first checkpoint is N + 1.
        job.tag = "v2"
        try world.repo.job(job)
        (_, report) = try await world.sync(options)
        #expect(report.succeeded, "\(report.clusters.map(\.message))")
        let running = try #require(try await world.runningCounterJobs().first)
        let client = FlinkClient(baseURL: world.flink.restURL, http: HTTPClient())
        let restored = try #require(try await client.checkpoints(running.id)?.restored)
        let upgraded = try gateMessage()
        #expect(upgraded.hasSuffix("checkpoint \(restored.id + 1) completed"), "restored \(restored.id): \(upgraded)")
        try await world.expectContinuity(from: "v1", to: "v2")
    }
}
