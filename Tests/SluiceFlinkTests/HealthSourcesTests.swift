import Foundation
import SluiceCore
import SluiceFlink
import SluiceHTTP
import SluiceTestSupport
import SluiceYAML
import Testing

/// The health gate's uncached sources (issue 12 item 6): the subtask counts of `/jobs/overview`
/// and checkpoint `_metadata` files on a local disk, instead of the cached `/jobs/<id>` and
/// `/jobs/<id>/checkpoints`.
@Suite("Health sources")
struct HealthSourcesTests {
    @Test("subtask counts: up when every subtask runs or finished and one runs; a finished source subtask is normal")
    func taskCounts() throws {
        // The shape of Flink 2.3's /jobs/overview (JobDetails: "tasks" by ExecutionState).
        let overview = #"""
        {"jobs":[{"jid":"a","name":"j","state":"RUNNING","start-time":1,"end-time":-1,"duration":5,"last-modification":2,
        "tasks":{"running":3,"canceling":0,"canceled":0,"total":4,"created":0,"scheduled":0,"deploying":0,"reconciling":0,
        "finished":1,"initializing":0,"failed":0,"pending":0}}]}
        """#
        struct Overview: Decodable { var jobs: [JobSummary] }
        let job = try #require(try JSONDecoder().decode(Overview.self, from: Data(overview.utf8)).jobs.first)
        let tasks = try #require(job.tasks)
        #expect(tasks.total == 4 && tasks.running == 3 && tasks.finished == 1)
        #expect(tasks.allUp, "parallelism 2 with a source subtask that got no split: finished, and the job is up")

        #expect(!TaskCounts(["total": 4, "running": 2, "deploying": 1, "initializing": 1]).allUp)
        #expect(TaskCounts(["total": 4, "running": 2, "deploying": 1, "initializing": 1]).summary == "2 of 4 tasks running (1 deploying, 1 initializing)")
        #expect(!TaskCounts(["total": 2, "running": 1, "failed": 1]).allUp)
        #expect(!TaskCounts(["total": 2, "finished": 2]).allUp, "nothing runs")
        #expect(!TaskCounts(["total": 0]).allUp)
        #expect(TaskCounts(["total": 2, "running": 2]).allUp)

        // A Flink that reports no counts (or another shape) still lists its jobs.
        let bare = #"{"jobs":[{"jid":"b","name":"j","state":"RUNNING","start-time":1,"end-time":-1,"tasks":"n/a"}]}"#
        #expect(try JSONDecoder().decode(Overview.self, from: Data(bare.utf8)).jobs.first?.tasks == nil)
    }

    @Test("a checkpoint is seen from its _metadata file on a local, allowed disk, only if completed after the change")
    func checkpointOnDisk() async throws {
        let work = try TemporaryDirectory(prefix: "sluice-health")
        let checkpoints = work.url.appendingPathComponent("checkpoints")
        HostPathPolicy.shared.allow(checkpoints.path)
        let jobID = "51ce0123456789ab00000001deadbeef"
        let document = try #require(try YAML.parse("""
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkDeployment
            metadata: {name: counter}
            spec:
              flinkConfiguration: {execution.checkpointing.dir: "\(checkpoints.absoluteString)"}
              job: {jarURI: "file:///job.jar", upgradeMode: savepoint}
            """).first)
        let spec = try #require(JobSpec(document))
        // Nothing answers at this address: only the disk may be read while it holds the answer.
        let lifecycle = JobLifecycle(cluster: "local", client: FlinkClient(baseURL: URL(string: "http://127.0.0.1:9")!, http: HTTPClient()),
                                     journal: try Journal(directory: work.url.appendingPathComponent("state")),
                                     jars: JarStore(directory: work.url.appendingPathComponent("jars"), http: HTTPClient()))
        let before = Int64(Date().timeIntervalSince1970 * 1000) - 60_000
        try StateLocatorTests.touch(checkpoints.appendingPathComponent("\(jobID)/chk-7"))
        try StateLocatorTests.touch(checkpoints.appendingPathComponent("\(jobID)/chk-8"), metadata: false)  // being written
        let found = try await lifecycle.checkpointCompleted(of: jobID, since: before, spec: spec)
        #expect(found == CompletedCheckpoint(id: 7, source: "chk-7/_metadata"))

        // A checkpoint completed before the change does not count; the gate then asks Flink,
        // which here does not answer: an error, never a checkpoint that is not there.
        let after = Int64(Date().timeIntervalSince1970 * 1000) + 60_000
        await #expect(throws: (any Error).self) { try await lifecycle.checkpointCompleted(of: jobID, since: after, spec: spec) }
    }
}
