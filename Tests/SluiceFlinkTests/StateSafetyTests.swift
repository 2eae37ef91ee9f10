import Foundation
import SluiceCore
import SluiceFlink
import SluiceHTTP
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import Testing

/// Issue 12: a commit never throws away or rewinds a job's keyed state, and Sluice never says
/// "in sync" while a job is gone. One session cluster *without* `execution.checkpointing.dir`,
/// the counting job (keyed sums that must continue, never reset or rewind), and the four paths
/// that once lost state while Sluice reported success.
///
/// Operator reference: flink-kubernetes-operator's AbstractJobReconciler falls back from
/// last-state to a savepoint upgrade when no externally addressable checkpoint exists
/// (SnapshotUtils / ApplicationReconciler), which is what the first step expects.
extension RealFlink {
@Suite("State safety on a real Flink session cluster")
struct StateSafetyTests {
    /// The sync tests' world on a cluster without `execution.checkpointing.dir`, so its checkpoints
    /// are not externally addressable.
    final class World: @unchecked Sendable {
        let base: FlinkSyncTests.World
        var flink: FlinkSessionCluster { base.flink }
        var work: TemporaryDirectory { base.work }
        var repo: SpecRepository { base.repo }
        var counts: Counts { base.counts }
        var output: URL { work.url.appendingPathComponent("output") }
        var stateDirectory: URL { base.stateDirectory }
        let owner = JobOwner(cluster: "local", object: "FlinkDeployment.flink.apache.org streaming/counter")

        init() async throws {
            base = try await FlinkSyncTests.World(omittedConfig: ["execution.checkpointing.dir"])
            // The host's operator runs this session cluster and lets Sluice search its state
            // folders; without that, a spec naming them gets no search (StateSearchRootsTests).
            HostPathPolicy.shared.allow(base.flink.checkpointDir.path)
            HostPathPolicy.shared.allow(base.flink.savepointDir.path)
        }

        func sync(_ options: SyncOptions = SyncOptions(healthTimeout: .seconds(90), healthPollInterval: .milliseconds(500))) async throws -> (Plan, SyncReport) {
            try await base.sync(options)
        }

        func binary(_ command: String, environment: [String: String] = [:]) async throws -> SluiceBinary.Result {
            try await SluiceBinary.run([command, "--repo", repo.root.path, "--state-dir", stateDirectory.path] + (command == "sync" ? ["--health-timeout", "90"] : []),
                                       environment: [HostPathPolicy.environmentVariable: repo.allowedRoots.joined(separator: ":")]
                                           .merging(environment) { _, given in given })
        }

        var client: FlinkClient { FlinkClient(baseURL: flink.restURL, http: HTTPClient()) }

        func runningJobs() async throws -> [JobSummary] {
            try await client.jobs().filter { owner.owns($0.id) && !$0.state.isTerminal }
        }

        func action(_ report: SyncReport) -> ActionResult? { report.clusters.first { $0.cluster == "local" }?.actions.first }
        func status(_ report: SyncReport) -> ClusterSyncResult.Status? { report.clusters.first { $0.cluster == "local" }?.status }

        /// The highest count of key 0 for `tag` so far (the job's last report before a stop).
        func reached(_ tag: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Int {
            try #require(counts.counts(tag: tag).max(), "no counts for \(tag)", sourceLocation: sourceLocation)
        }

        /// The job now counting `tag` continues from `before`: it never resets (to 1) and rewinds
        /// at most `slack` (last-state restores a checkpoint, which trails the job by up to one interval).
        func expectContinues(_ tag: String, from before: Int, slack: Int = 0, sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
            let after = try await counts.await(tag: tag, atLeast: 1)
            #expect(after.min()! > before - slack, "\(tag) starts at \(after.min()!), but the state had reached \(before)", sourceLocation: sourceLocation)
        }

        /// Moves the counts written so far aside, so the next job's first count can be read alone.
        func setCountsAside(_ label: String) throws {
            for file in try FileManager.default.contentsOfDirectory(atPath: output.path) where file.hasPrefix("counts-") {
                try FileManager.default.moveItem(at: output.appendingPathComponent(file), to: output.appendingPathComponent("\(label)-\(file)"))
            }
        }
    }

    @Test("last-state without addressable checkpoints, a lost job, a crash between stop and outcome with a cluster restart, a second Sluice process, no state at all")
    func stateSafety() async throws {
        let world = try await World()
        defer { world.flink.stop() }
        var job = SpecRepository.Job()
        job.upgradeMode = "last-state"
        try world.repo.job(job)
        var (plan, report) = try await world.sync()
        #expect(world.status(report) == .synced, "\(report.clusters)")
        _ = try await world.counts.await(tag: "v1", atLeast: 30)
        // The scenario is real: Flink reports the latest checkpoint as not externally addressable.
        let first = try #require(try await world.runningJobs().first)
        let checkpointed = await eventually(timeout: .seconds(30)) { (try? await world.client.checkpoints(first.id)?.latestCompleted) != nil }
        #expect(checkpointed)
        let latest = try await world.client.checkpoints(first.id)?.latestCompleted
        #expect(latest?.externalPath == "<checkpoint-not-externally-addressable>", "\(String(describing: latest?.externalPath))")

        // 1. last-state without an addressable checkpoint: never cancel; go through a savepoint
        //    as the operator does, and say so in the plan and the result.
        job.tag = "v2"
        try world.repo.job(job)
        (plan, report) = try await world.sync()
        let lastStatePlan = try #require(plan.clusters.first?.changes.first)
        #expect(lastStatePlan.kind == .upgrade && lastStatePlan.reason.contains("savepoint"), "\(lastStatePlan.reason)")
        #expect(world.status(report) == .synced, "\(report.clusters)")
        let fallback = try #require(world.action(report))
        #expect(fallback.message.contains("through savepoint") && fallback.savepointPath?.contains("savepoint-") == true, "\(fallback.message)")
        try await world.expectContinues("v2", from: try world.reached("v1"))
        #expect(try await world.runningJobs().count == 1)

        // A spec-level checkpoint directory makes the next job's checkpoints addressable.
        job.tag = "v3"
        job.checkpointDir = world.flink.checkpointDir.absoluteString
        try world.repo.job(job)
        (plan, report) = try await world.sync()
        #expect(world.status(report) == .synced, "\(report.clusters)")
        try await world.expectContinues("v3", from: try world.reached("v2"))

        // 3. The job vanishes (the session cluster restarts without HA). The plan says `lost`,
        //    not "in sync"; sync restores it from its newest retained checkpoint.
        let beforeLoss = try world.reached("v3") + 30
        _ = try await world.counts.await(tag: "v3", atLeast: beforeLoss)
        try await world.flink.restart()
        #expect(try await world.runningJobs().isEmpty)
        let reachedBeforeLoss = try world.reached("v3")
        try world.setCountsAside("lost")
        let lostPlan = try await world.binary("plan")
        #expect(lostPlan.status == 2, "a lost job is a change, not in sync: \(lostPlan)")
        #expect(lostPlan.stdout.contains("lost") && lostPlan.stdout.contains("restore"), "\(lostPlan.stdout)")
        #expect(!lostPlan.stdout.contains("in sync (1 object)"), "\(lostPlan.stdout)")
        (plan, report) = try await world.sync()
        #expect(plan.clusters.first?.changes.first?.kind == .restore, "\(String(describing: plan.clusters.first?.actions.map(\.reason)))")
        #expect(world.status(report) == .synced, "\(report.clusters)")
        #expect(world.action(report)?.savepointPath?.contains("/chk-") == true, "\(String(describing: world.action(report)))")
        // Checkpoints every second at 10 records per key and second: at most a few seconds back.
        try await world.expectContinues("v3", from: reachedBeforeLoss, slack: 60)
        #expect(try await world.runningJobs().count == 1)

        // 2. Sluice dies after the stop-with-savepoint completed but before its outcome is
        //    journaled, and the cluster restarts, forgetting the trigger. The savepoint in the
        //    savepoint directory is found; the job neither starts fresh nor rewinds.
        _ = try await world.counts.await(tag: "v3", atLeast: reachedBeforeLoss + 20)
        job.tag = "v4"
        job.upgradeMode = "savepoint"
        try world.repo.job(job)
        let crashed = try await world.binary("sync", environment: ["SLUICE_FAILPOINT": "before-stop-with-savepoint-outcome"])
        #expect(crashed.signal == SIGKILL, "sluice was expected to die at the failpoint: \(crashed)")
        #expect(try await world.runningJobs().isEmpty, "the job was stopped before the crash")
        let reachedAtStop = try world.reached("v3")
        try await world.flink.restart()
        (plan, report) = try await world.sync()
        #expect(world.status(report) == .synced, "\(report.clusters)")
        let recovered = try #require(world.action(report))
        #expect(recovered.savepointPath?.contains(world.flink.savepointDir.lastPathComponent) == true, "\(recovered.message)")
        try await world.expectContinues("v4", from: reachedAtStop)
        #expect(try await world.runningJobs().count == 1, "never two jobs for one object")

        // 4. Another Sluice process holds the cluster (here: a `sluice serve` stand-in, this test
        //    process). A manual sync refuses, names the holder and points at serve's API, and
        //    changes nothing; once the holder lets go, it proceeds.
        let runningBefore = try await world.runningJobs().map(\.id)
        let lockFile = world.stateDirectory.appendingPathComponent("locks/local.lock")
        let held = try await ClusterLock.acquire(lockFile, cluster: "local", command: "sluice serve")
        job.tag = "v5"
        try world.repo.job(job)
        let refused = try await world.binary("sync")
        held.release()
        #expect(refused.status == 3, "\(refused)")
        let said = refused.stdout + refused.stderr
        #expect(said.contains("sluice serve") && said.contains("pid \(getpid())") && said.contains("/api/v1/sync"), "\(said)")
        #expect(try await world.runningJobs().map(\.id) == runningBefore, "the refused sync must not touch the job")
        let reachedBeforeV5 = try world.reached("v4")
        let proceeded = try await world.binary("sync")
        #expect(proceeded.status == 0, "\(proceeded)")
        try await world.expectContinues("v5", from: reachedBeforeV5)

        // No state left anywhere (checkpoints and savepoints deleted, cluster restarted): a job
        // that ran before is not silently started fresh; --allow-state-loss starts it, and the
        // plan says the state will be dropped.
        try await world.flink.restart()
        for directory in [world.flink.checkpointDir, world.flink.savepointDir] {
            for entry in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
                try FileManager.default.removeItem(at: directory.appendingPathComponent(entry))
            }
        }
        (plan, report) = try await world.sync()
        #expect(world.status(report) == .failed, "\(report.clusters)")
        #expect(world.action(report)?.message.contains("found no state") == true, "\(String(describing: world.action(report)?.message))")
        #expect(try await world.runningJobs().isEmpty)
        var allowing = SyncOptions(healthTimeout: .seconds(90), healthPollInterval: .milliseconds(500))
        allowing.allowStateLoss = true
        try world.setCountsAside("dropped")
        (plan, report) = try await world.sync(allowing)
        #expect(plan.clusters.first?.changes.first?.reason.contains("state will be dropped") == true)
        #expect(world.status(report) == .synced, "\(report.clusters)")
        let fresh = try await world.counts.await(tag: "v5")
        #expect(fresh.min()! <= 10, "started without state, as allowed: \(fresh.prefix(3))")
    }
}
}
