import Foundation
import SluiceCore
import SluiceFlink
import SluiceGit
import SluiceHTTP
import SluicePipeline
import SluiceServer
import SluiceStatusClient
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

extension RealFlink {
/// A job's `restarts` on a flink cluster, after the job really restarted. The count is Flink's
/// job metric `numRestarts` ("The total number of restarts since this job was submitted, including
/// full restarts and fine-grained restarts", Gauge, job scope, only on the JobManager: Flink's
/// docs/content/docs/ops/metrics.md, "Availability"; `MetricNames.NUM_RESTARTS = "numRestarts"` in
/// flink-runtime, also in the 2.3.0 flink-dist jar), served by `GET /jobs/<id>/metrics?get=numRestarts`.
@Suite("restarts of a job on a real Flink session cluster")
struct JobRestartsTests {
    @Test("a job whose TaskManager is killed restarts on a new one: the observation and the status API report Flink's numRestarts (0 before, >= 1 after)")
    func restartsAfterTaskManagerLoss() async throws {
        // Fixed-delay restarts, a few attempts: a lost TaskManager costs one, the wait for a new
        // one's slots none (the scheduler waits for resources within the restart).
        let flink = try await FlinkSessionCluster(taskSlots: 2, extraConfig: [
            "restart-strategy.type": "fixed-delay", "restart-strategy.fixed-delay.attempts": "3",
            "restart-strategy.fixed-delay.delay": "1s",
        ])
        defer { flink.stop() }
        let work = try TemporaryDirectory(prefix: "sluice-restarts")
        let output = work.url.appendingPathComponent("output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let checkout = work.url.appendingPathComponent("checkout")
        let repo = try SpecRepository(root: checkout, jar: try FlinkSessionCluster.testJobJar(), output: output, savepoints: flink.savepointDir)
        try repo.cluster("local", url: flink.restURL)
        try repo.job(SpecRepository.Job())
        _ = try git(["init", "-q", "-b", "main"], in: checkout)
        _ = try git(["add", "-A"], in: checkout)
        _ = try git(["-c", "user.name=t", "-c", "user.email=t@l", "commit", "-qm", "counter"], in: checkout)

        let state = work.url.appendingPathComponent("state")
        let loop = ReconcileLoop(repository: try GitRepository.open(path: checkout.path),
                                 pipeline: Pipeline(stateDirectory: state, runtimes: RuntimeRegistry()),
                                 configuration: .init(revision: "main", interval: .seconds(3600),
                                                      options: SyncOptions(healthTimeout: .seconds(120)))) { _ in }
        let server = ServiceServer(loop: loop, journal: try Journal(directory: state), metrics: SluiceMetrics(), webhooks: nil,
                                   tokens: .init(read: "ro", operate: "op"))
        let serve = try await InProcessServe(loop: loop, server: server)
        defer { serve.cancel() }
        let reader = StatusClient(server: serve.base, token: "ro", tokenSource: "the test")
        func served() async -> JobStatus? {
            try? await reader.status().view.clusters.first { $0.name == "local" }?.objects.first?.job
        }

        // Before: the job runs and Flink's metric fetcher has reported the metric once: 0 restarts.
        var before: JobStatus?
        #expect(await eventually(timeout: .seconds(150)) {
            before = await served()
            return before?.state == "RUNNING" && before?.restarts == 0
        }, "the running job shows 0 restarts once Flink reports the metric: \(String(describing: before))")
        let jobID = try #require(before?.jobID)

        // The observation as the service reads it: the cluster's driver from the last plan.
        let plan = try #require(await loop.lastRound?.plan)
        let clusterPlan = try #require(plan.clusters.first { $0.cluster.name == "local" })
        let identity = try #require(clusterPlan.actions.first { $0.identity.kind == "FlinkDeployment" }?.identity)
        let driver = try #require(try DriverFactory(stateDirectory: state).driver(for: clusterPlan.cluster, journal: try Journal(directory: state))
                                  as? any JobInspecting)
        func observed() async -> JobObservation? { await driver.observeJobs([identity])[identity] }
        #expect(await observed()?.restarts == 0)

        // Flink's own answers, read over HTTP here (not through FlinkClient).
        let http = HTTPClient(configuration: .init(retry: .none))
        func flinkJSON(_ path: String) async throws -> Any {
            let response = try await http.send(HTTPRequest(.GET, URL(string: flink.restURL.absoluteString + path)!))
            guard response.status == 200 else { throw FlinkTestError("GET \(path) answered \(response.status)") }
            return try JSONSerialization.jsonObject(with: Data(response.body))
        }
        func flinkRestarts() async throws -> Int? {
            let metrics = try await flinkJSON("/jobs/\(jobID)/metrics?get=numRestarts") as? [[String: Any]]
            return (metrics?.first { $0["id"] as? String == "numRestarts" }?["value"] as? String).flatMap { Int($0) }
        }
        #expect(try await flinkRestarts() == 0)

        // The TaskManager running the job dies (SIGKILL); a new one takes over.
        try await onDedicatedThread("kill-taskmanager") {
            flink.killTaskManager()
            try flink.startTaskManager()
        }
        var flinkCount: Int?
        var jobState: String?
        #expect(await eventually(timeout: .seconds(120)) {
            jobState = (try? await flinkJSON("/jobs/\(jobID)") as? [String: Any])?["state"] as? String
            flinkCount = try? await flinkRestarts()
            return jobState == "RUNNING" && (flinkCount ?? 0) >= 1
        }, "Flink restarted the job: state \(jobState ?? "?"), numRestarts \(String(describing: flinkCount))\n\(flink.logs(lines: 30))")
        let details = try await flinkJSON("/jobs/\(jobID)") as? [String: Any]
        let timestamps = details?["timestamps"] as? [String: Any]
        #expect(((timestamps?["RESTARTING"] as? Int) ?? 0) > 0, "Flink's /jobs/<id> records the job's RESTARTING: \(String(describing: timestamps))")
        let history = ((try await flinkJSON("/jobs/\(jobID)/exceptions") as? [String: Any])?["exceptionHistory"] as? [String: Any])?["entries"] as? [Any]
        #expect((history?.count ?? 0) >= 1, "the failure is in Flink's exception history")

        // The observation says what Flink says, read around it (the metric fetcher caches for 10 s;
        // a value that moved in between is read again).
        var pair: (flink: Int?, observed: Int?, after: Int?) = (nil, nil, nil)
        #expect(await eventually(timeout: .seconds(60)) {
            pair.flink = try? await flinkRestarts()
            pair.observed = await observed()?.restarts
            pair.after = try? await flinkRestarts()
            return pair.flink == pair.after && pair.flink != nil
        })
        let restarts = try #require(pair.flink)
        #expect(restarts >= 1)
        #expect(pair.observed == restarts, "the observation reports Flink's numRestarts: \(pair)")
        #expect(await observed()?.state == "RUNNING")

        // The status API (read again once its reading is older than its max age) reports it too.
        var after: JobStatus?
        #expect(await eventually(timeout: .seconds(120)) {
            after = await served()
            return after?.restarts == restarts
        }, "the status API reports \(restarts) restarts: \(String(describing: after))")
        #expect(after?.jobID == jobID && after?.state == "RUNNING", "the same job, running again")
        #expect(try await flinkRestarts() == restarts, "no further restart meanwhile")
        print("numRestarts after one lost TaskManager: \(restarts); exception history entries: \(history?.count ?? 0)")

        await loop.stop()
    }
}
}
