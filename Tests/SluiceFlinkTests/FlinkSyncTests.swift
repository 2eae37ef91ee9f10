import Foundation
import SluiceCore
import SluiceFlink
import SluiceHTTP
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import Testing

/// The sync engine and the `flink` driver against a real Flink session cluster on 127.0.0.1,
/// running a keyed-state counting job: every upgrade path must carry the counters over.
extension RealFlink {
@Suite("Sync to a real Flink session cluster")
struct FlinkSyncTests {
    /// One environment: a spec repository, a state directory and the cluster.
    final class World: @unchecked Sendable {
        let flink: FlinkSessionCluster
        let work: TemporaryDirectory
        let repo: SpecRepository
        let counts: Counts
        var stateDirectory: URL { work.url.appendingPathComponent("state") }

        init(clusterConfig: [String: String] = [:], omittedConfig: Set<String> = []) async throws {
            flink = try await FlinkSessionCluster(taskSlots: 4, extraConfig: clusterConfig, omittedConfig: omittedConfig)
            work = try TemporaryDirectory(prefix: "sluice-flink-sync")
            let output = work.url.appendingPathComponent("output")
            try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
            repo = try SpecRepository(root: work.url.appendingPathComponent("specs"), jar: try FlinkSessionCluster.testJobJar(),
                                      output: output, savepoints: flink.savepointDir)
            counts = Counts(output: output)
            try repo.cluster("local", url: flink.restURL)
        }

        /// Plans and syncs the repository as `sluice sync` does.
        func sync(_ options: SyncOptions = SyncOptions(healthTimeout: .seconds(90), healthPollInterval: .milliseconds(500))) async throws -> (Plan, SyncReport) {
            let (specs, state) = try repo.load()
            let journal = try Journal(directory: stateDirectory)
            let (drivers, unavailable) = DriverFactory(stateDirectory: stateDirectory, operationTimeout: .seconds(120))
                .drivers(for: state.clusters.map(\.cluster), journal: journal)
            let syncer = Syncer(drivers: drivers, unavailable: unavailable, journal: journal)
            let plan = await syncer.plan(state, environments: specs.environments, options: options)
            return (plan, await syncer.sync(plan, state: state, environments: specs.environments, options: options))
        }

        /// The jobs of the counter that are not finished, as the cluster reports them.
        func runningCounterJobs() async throws -> [JobSummary] {
            let client = FlinkClient(baseURL: flink.restURL, http: HTTPClient())
            let owner = JobOwner(cluster: "local", object: "FlinkDeployment.flink.apache.org streaming/counter")
            return try await client.jobs().filter { owner.owns($0.id) && !$0.state.isTerminal }
        }

        /// Asserts that the job tagged `new` continued the counters of `old` instead of starting over.
        /// With `slack`, the new job may start up to that much below the old one's last report
        /// (last-state restores the latest checkpoint, which trails the job by up to a checkpoint
        /// interval); a fresh start would count from 1.
        func expectContinuity(from old: String, to new: String, slack: Int = 0, sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
            let before = try #require(counts.counts(tag: old).max(), sourceLocation: sourceLocation)
            let after = try await counts.await(tag: new)
            #expect(after.min()! > before - slack, "the \(new) job starts counting at \(after.min()!), but \(old) had reached \(before)", sourceLocation: sourceLocation)
        }

        func result(_ report: SyncReport, _ cluster: String = "local") -> ClusterSyncResult? {
            report.clusters.first { $0.cluster == cluster }
        }
    }

    @Test("deploy, no-op, savepoint nonce, savepoint and last-state upgrades, suspend/resume, crash mid-upgrade, unreachable cluster, redeploy from initialSavepointPath, prune")
    func lifecycle() async throws {
        let world = try await World()
        defer { world.flink.stop() }
        var job = SpecRepository.Job()

        // `sluice plan` exits 2 when there are changes, and says what they are.
        try world.repo.job(job)
        let planned = try await SluiceBinary.run(["plan", "--repo", world.repo.root.path, "--state-dir", world.stateDirectory.path, "--output", "json"])
        #expect(planned.status == 2, "\(planned)")
        #expect(planned.stdout.contains("\"action\" : \"create\"") || planned.stdout.contains("\"action\": \"create\""), "\(planned.stdout)")

        // First sync: the job is submitted and is healthy once it has checkpointed.
        var (plan, report) = try await world.sync()
        #expect(plan.clusters.first?.changes.map(\.kind) == [.create])
        #expect(world.result(report)?.status == .synced, "\(report.clusters)")
        #expect(try await world.runningCounterJobs().count == 1)
        _ = try await world.counts.await(tag: "v1", atLeast: 30)

        // A second sync with no change does nothing.
        (plan, report) = try await world.sync()
        #expect(!plan.hasChanges)
        #expect(world.result(report)?.status == .unchanged)
        let inSync = try await SluiceBinary.run(["plan", "--repo", world.repo.root.path, "--state-dir", world.stateDirectory.path])
        #expect(inSync.status == 0, "\(inSync)")
        #expect(inSync.stdout.contains("in sync"))

        // A new savepointTriggerNonce takes a savepoint; the job keeps running.
        let running = try await world.runningCounterJobs().map(\.id)
        job.savepointTriggerNonce = 1
        try world.repo.job(job)
        (plan, report) = try await world.sync()
        #expect(plan.clusters.first?.changes.first?.kind == .savepoint)
        let triggered = try #require(world.result(report)?.actions.first?.savepointPath, "\(report.clusters)")
        #expect(try await world.runningCounterJobs().map(\.id) == running)

        // Savepoint upgrade with a rescale: stop with savepoint, start the new spec from it.
        job.tag = "v2"
        job.parallelism = 2
        try world.repo.job(job)
        (plan, report) = try await world.sync()
        #expect(plan.clusters.first?.changes.first?.kind == .upgrade)
        let upgrade = try #require(world.result(report)?.actions.first)
        #expect(upgrade.succeeded, "\(upgrade.message)")
        #expect(upgrade.savepointPath?.contains(world.flink.savepointDir.lastPathComponent) == true)
        try await world.expectContinuity(from: "v1", to: "v2")
        #expect(try await world.runningCounterJobs().count == 1)

        // last-state upgrade: cancel, restart from the latest completed checkpoint.
        _ = try await world.counts.await(tag: "v2", atLeast: 80)
        job.tag = "v3"
        job.upgradeMode = "last-state"
        try world.repo.job(job)
        (_, report) = try await world.sync()
        #expect(world.result(report)?.status == .synced, "\(report.clusters)")
        try await world.expectContinuity(from: "v2", to: "v3", slack: 40)

        // Suspend keeps a savepoint; resume continues from it.
        job.upgradeMode = "savepoint"
        job.state = "suspended"
        try world.repo.job(job)
        (plan, report) = try await world.sync()
        #expect(plan.clusters.first?.changes.first?.kind == .suspend)
        #expect(world.result(report)?.actions.first?.health?.status == .suspended)
        #expect(try await world.runningCounterJobs().isEmpty)
        job.state = "running"
        job.tag = "v4"
        try world.repo.job(job)
        (plan, report) = try await world.sync()
        #expect(plan.clusters.first?.changes.first?.kind == .resume)
        #expect(world.result(report)?.status == .synced, "\(report.clusters)")
        try await world.expectContinuity(from: "v3", to: "v4")

        // Sluice is killed right after the stop-with-savepoint of an upgrade: the next run finds
        // the stopped job and its savepoint and finishes the upgrade.
        job.tag = "v5"
        try world.repo.job(job)
        let crashed = try await SluiceBinary.run(["sync", "--repo", world.repo.root.path, "--state-dir", world.stateDirectory.path, "--quiet"],
                                           environment: ["SLUICE_FAILPOINT": "after-stop-with-savepoint"])
        #expect(crashed.signal == SIGKILL, "sluice was expected to die at the failpoint: \(crashed)")
        #expect(try await world.runningCounterJobs().isEmpty, "the crash happened after the stop, before the new submit")
        (_, report) = try await world.sync()
        #expect(world.result(report)?.status == .synced, "\(report.clusters)")
        try await world.expectContinuity(from: "v4", to: "v5")
        #expect(try await world.runningCounterJobs().count == 1, "never two jobs for one object")

        // A cluster that is down fails only itself.
        let down = try RefusingPort()
        defer { down.close() }
        try world.repo.cluster("down", url: URL(string: "http://127.0.0.1:\(down.port)")!)
        job.tag = "v6"
        try world.repo.job(job)
        (_, report) = try await world.sync()
        #expect(world.result(report, "down")?.status == .error)
        #expect(world.result(report, "down")?.message.contains("127.0.0.1") == true)
        #expect(world.result(report)?.status == .synced, "\(report.clusters)")
        try await world.expectContinuity(from: "v5", to: "v6")
        try FileManager.default.removeItem(at: world.repo.root.appendingPathComponent("clusters/down.yaml"))

        // A new savepointRedeployNonce restarts from initialSavepointPath (the nonce savepoint
        // taken early on), dropping the newer state: counts resume from that point, not from v6's.
        job.tag = "v7"
        job.savepointRedeployNonce = 1
        job.initialSavepointPath = triggered
        try world.repo.job(job)
        (plan, report) = try await world.sync()
        #expect(plan.clusters.first?.changes.first?.kind == .redeploy)
        #expect(world.result(report)?.status == .synced, "\(report.clusters)")
        let redeployed = try await world.counts.await(tag: "v7")
        #expect(redeployed.min()! > 1, "restored from the savepoint, not started fresh")
        #expect(redeployed.min()! < world.counts.counts(tag: "v6").max()!, "restored from the older savepoint, not v6's state")

        // Removing the job from Git: pruning all of a cluster's objects needs --allow-mass-prune,
        // and the job is stopped with a savepoint, not thrown away.
        job.present = false
        try world.repo.job(job)
        (plan, _) = try await world.sync(SyncOptions(prune: true, healthTimeout: .seconds(60)))
        #expect(plan.clusters.first?.failure.map { if case .massPrune = $0 { true } else { false } } == true)
        #expect(try await world.runningCounterJobs().count == 1)
        (plan, report) = try await world.sync(SyncOptions(prune: true, allowMassPrune: true, healthTimeout: .seconds(60)))
        let delete = try #require(world.result(report)?.actions.first)
        #expect(delete.action.kind == .delete && delete.succeeded, "\(delete.message)")
        #expect(delete.savepointPath != nil)
        #expect(try await world.runningCounterJobs().isEmpty)

        // The jar was uploaded once, under its content hash; it can be cleaned up.
        let client = FlinkClient(baseURL: world.flink.restURL, http: HTTPClient())
        #expect(try await client.overview().taskManagers >= 1)
        let jars = try await client.jars()
        #expect(jars.count == 1 && jars[0].name.hasPrefix("sluice-"), "\(jars.map(\.name))")
        for jar in jars { #expect(try FlinkREST(baseURL: world.flink.restURL).delete("/jars/\(jar.id)").status == 200) }
        #expect(try await client.jars().isEmpty)
    }
}
}

extension SpecRepository {
    /// The specs as Sluice loads and renders them.
    func load() throws -> (SpecSet, DesiredState) {
        let specs = try SpecLoader().load(from: DirectoryTree(path: root.path), path: "", revision: "test")
        return (specs, try Renderer().render(specs))
    }
}
