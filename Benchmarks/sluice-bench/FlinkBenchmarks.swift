import Foundation
import SluiceCore
import SluiceHTTP
import SluiceFlink
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import SluiceYAML

/// Benchmarks of the sync engine and the `flink` driver.
enum FlinkBenchmarks {
    /// Plan time for `jobs` FlinkDeployments on one flink cluster, all in sync, against a server
    /// that answers `/jobs/overview` as Flink does (files under `root`, served by the caller at `url`).
    static func planAgainstLiveState(jobs: Int, root: URL, url: URL) async throws {
        let work = try TemporaryDirectory(prefix: "sluice-bench-plan")
        let specs = work.url.appendingPathComponent("specs")
        try writeSpecs(to: specs, jobs: jobs, url: url)
        let loaded = try SpecLoader().load(from: DirectoryTree(path: specs.path), path: "", revision: "bench")
        let state = try Renderer().render(loaded)
        let cluster = try require(state.clusters.first)

        // What an earlier sync left: an applied-state record per job and a running Flink job each.
        let stateDirectory = work.url.appendingPathComponent("state")
        let store = try AppliedStore(directory: stateDirectory.appendingPathComponent("applied"), cluster: cluster.cluster.name)
        var overview: [[String: Any]] = []
        for object in cluster.objects {
            let jobID = JobOwner(cluster: cluster.cluster.name, object: object.identity.description).newJobID(specHash: object.specHash)
            try store.set(object.identity, AppliedStore.Entry(identity: object.identity, object: JSON.encode(object.value, sortedKeys: true),
                                                              specHash: object.specHash, jobID: jobID, savepointPath: nil, appliedAt: Date()))
            overview.append(["jid": jobID, "name": object.identity.name, "state": "RUNNING", "start-time": 1_700_000_000_000, "end-time": -1])
        }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("jobs"), withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: ["jobs": overview]).write(to: root.appendingPathComponent("jobs/overview"))

        let journal = try Journal(directory: stateDirectory)
        let (drivers, unavailable) = DriverFactory(stateDirectory: stateDirectory).drivers(for: [cluster.cluster], journal: journal)
        let syncer = Syncer(drivers: drivers, unavailable: unavailable, journal: journal)
        var best = Double.infinity
        var plan: Plan?
        for _ in 0..<5 {
            let start = ContinuousClock.now
            plan = await syncer.plan(state, environments: loaded.environments)
            best = min(best, (ContinuousClock.now - start).seconds)
        }
        let clusterPlan = try require(plan?.clusters.first)
        if let failure = clusterPlan.failure { throw BenchError("plan failed: \(failure)") }
        print(String(format: "plan-live: %d jobs against live state, %d changes, best of 5: %.3f s, peak memory %.1f MiB",
                     clusterPlan.actions.count, clusterPlan.changes.count, best, peakMemoryMiB()))
    }

    /// A savepoint upgrade of the test job on a real Flink session cluster, end to end, with
    /// Sluice's share separated from the time Flink spends stopping and starting the job.
    static func savepointUpgrade(rounds: Int) async throws {
        // Flink's default web.refresh-interval (3 s): the health gate reads uncached sources (the
        // overview's subtask counts, chk-N/_metadata in the local checkpoint directory), so a
        // cluster Sluice did not configure must not cost it the cache's delay.
        let flink = try await FlinkSessionCluster(taskSlots: 4)
        defer { flink.stop() }
        let work = try TemporaryDirectory(prefix: "sluice-bench-upgrade")
        let specs = work.url.appendingPathComponent("specs")
        let output = work.url.appendingPathComponent("output")
        let stateDirectory = work.url.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let jar = try FlinkSessionCluster.testJobJar()
        let options = SyncOptions(healthTimeout: .seconds(120), healthPollInterval: .milliseconds(100))

        func sync(tag: String) async throws -> (total: Double, apply: Double, gate: Double, report: SyncReport) {
            try writeCounter(to: specs, url: flink.restURL, jar: jar, output: output, savepoints: flink.savepointDir, tag: tag)
            HostPathPolicy.shared.allow(flink.checkpointDir.path)
            let start = ContinuousClock.now
            let loaded = try SpecLoader().load(from: DirectoryTree(path: specs.path), path: "", revision: tag)
            let state = try Renderer().render(loaded)
            let journal = try Journal(directory: stateDirectory)
            let (drivers, unavailable) = DriverFactory(stateDirectory: stateDirectory).drivers(for: state.clusters.map(\.cluster), journal: journal)
            let syncer = Syncer(drivers: drivers, unavailable: unavailable, journal: journal)
            let plan = await syncer.plan(state, environments: loaded.environments, options: options)
            let applied = Stopwatch()
            let report = await syncer.sync(plan, state: state, environments: loaded.environments, options: options) { event in
                if case .actionFinished = event { applied.mark() }
            }
            let total = (ContinuousClock.now - start).seconds
            guard report.succeeded else { throw BenchError("sync failed: \(report.clusters.map(\.message))") }
            let gate = applied.sinceMark(ContinuousClock.now)
            return (total, total - gate, gate, report)
        }

        _ = try await sync(tag: "v0")
        let journal = try Journal(directory: stateDirectory)
        let client = FlinkClient(baseURL: flink.restURL, http: HTTPClient())
        for round in 1...rounds {
            let (total, _, _, _) = try await sync(tag: "v\(round)")
            // Flink's share from Flink's own clocks: stop intent to the old job's end time, and
            // submit intent to the new job's first completed checkpoint. Everything else —
            // planning, jar handling, and time spent polling after Flink was done — is Sluice's.
            let records = try journal.records().suffix(12)
            guard let stopIntent = records.last(where: { $0.step == .stopWithSavepoint && $0.phase == .intent }),
                  let submitIntent = records.last(where: { $0.step == .submit && $0.phase == .intent }),
                  let oldJobID = stopIntent.jobID, let newJobID = submitIntent.jobID else { throw BenchError("no upgrade in the journal") }
            let jobs = try await client.jobs()
            guard let oldJob = jobs.first(where: { $0.id == oldJobID }), oldJob.endTime > 0 else { throw BenchError("the old job has no end time") }
            // Flink serves checkpoint statistics from a cache (web.refresh-interval, 3 s here): the
            // gate saw the checkpoint on disk; its statistics may show up to 3 s later.
            var firstAck: Int64?
            for _ in 0..<40 where firstAck == nil {
                firstAck = try await firstCompletedCheckpoint(of: newJobID, at: flink.restURL)
                if firstAck == nil { try await Task.sleep(for: .milliseconds(250)) }
            }
            guard let firstAck else { throw BenchError("the new job reports no completed checkpoint") }
            let stopSeconds = Double(oldJob.endTime) / 1000 - stopIntent.time.timeIntervalSince1970
            let startSeconds = Double(firstAck) / 1000 - submitIntent.time.timeIntervalSince1970
            let flinkSeconds = stopSeconds + startSeconds
            print(String(format: "savepoint-upgrade %d: total %.2f s = Flink %.2f s (stop-with-savepoint to job end %.2f, submit to first checkpoint %.2f) + Sluice %.3f s (goal < 0.3 s)",
                         round, total, flinkSeconds, stopSeconds, startSeconds, total - flinkSeconds))
        }
    }

    /// The acknowledgement time of a job's first completed checkpoint, from its checkpoint history.
    static func firstCompletedCheckpoint(of jobID: String, at url: URL) async throws -> Int64? {
        let response = try await HTTPClient().send(HTTPRequest(.GET, url.appendingPathComponent("jobs/\(jobID)/checkpoints"))).requireSuccess()
        let document = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
        let history = document?["history"] as? [[String: Any]] ?? []
        return history.filter { $0["status"] as? String == "COMPLETED" && $0["is_savepoint"] as? Bool == false }
            .compactMap { ($0["latest_ack_timestamp"] as? NSNumber)?.int64Value }.min()
    }

    static func writeSpecs(to root: URL, jobs: Int, url: URL) throws {
        try writeBase(to: root, url: url)
        for j in 0..<jobs {
            try write(root, "jobs/job-\(j).yaml", """
                apiVersion: flink.apache.org/v1beta1
                kind: FlinkDeployment
                metadata:
                  name: job-\(j)
                  labels: {app.kubernetes.io/part-of: bench, team: team-\(j % 17)}
                spec:
                  flinkVersion: v2_0
                  flinkConfiguration:
                    execution.checkpointing.interval: 30s
                    execution.checkpointing.savepoint-dir: file:///var/flink/savepoints/job-\(j)
                  job:
                    jarURI: https://artifacts.example/jobs/job-\(j % 20).jar
                    entryClass: com.example.Job\(j % 20)
                    args: ["--input", "topic-\(j)"]
                    parallelism: \(1 + j % 4)
                    upgradeMode: savepoint
                    state: running
                """)
        }
    }

    static func writeCounter(to root: URL, url: URL, jar: URL, output: URL, savepoints: URL, tag: String) throws {
        // The benchmark is the host's operator here: it allows the folders its specs name.
        for folder in [jar.deletingLastPathComponent(), output, savepoints] { HostPathPolicy.shared.allow(folder.path) }
        try writeBase(to: root, url: url)
        try write(root, "jobs/counter.yaml", """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkDeployment
            metadata:
              name: counter
              labels: {app.kubernetes.io/part-of: bench}
            spec:
              flinkVersion: v2_0
              flinkConfiguration:
                execution.checkpointing.interval: 1s
                execution.checkpointing.savepoint-dir: \(savepoints.absoluteString)
              job:
                jarURI: \(jar.absoluteString)
                entryClass: dev.sluice.testjob.CountingJob
                args: ["--keys", "4", "--rate", "40", "--output", "\(output.path)", "--tag", "\(tag)"]
                parallelism: 1
                upgradeMode: savepoint
            """)
    }

    static func writeBase(to root: URL, url: URL) throws {
        for folder in ["clusters", "environments", "jobs"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        try write(root, "clusters/bench.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Cluster
            metadata: {name: bench-flink, labels: {purpose: bench}}
            spec: {tier: private, driver: flink, flink: {url: "\(url.absoluteString)"}}
            """)
        try write(root, "environments/bench.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Environment
            metadata: {name: bench}
            spec:
              namespace: bench
              clusters: {matchLabels: {purpose: bench}}
              jobs: {matchLabels: {app.kubernetes.io/part-of: bench}}
            """)
    }

    static func write(_ root: URL, _ path: String, _ text: String) throws {
        try (text + "\n").write(to: root.appendingPathComponent(path), atomically: true, encoding: .utf8)
    }
}

/// The time since the last `mark()`.
final class Stopwatch: @unchecked Sendable {
    private let lock = NSLock()
    private var last = ContinuousClock.now

    func mark() { lock.withLock { last = ContinuousClock.now } }
    func sinceMark(_ now: ContinuousClock.Instant) -> Double { lock.withLock { (now - last).seconds } }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `#require` for a benchmark: the value or a clear failure.
func `require`<T>(_ value: T?, _ what: String = "value") throws -> T {
    guard let value else { throw BenchError("missing \(what)") }
    return value
}
