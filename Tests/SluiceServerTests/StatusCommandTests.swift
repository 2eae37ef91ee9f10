import Foundation
import SluiceCore
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
/// `sluice status` against a running serve on a real Flink session cluster: the status per cluster
/// and per job (state, checkpoint, savepoint, revision) in text and JSON, the savepoint action,
/// the event stream delivering the change, the rounds, the history filters and the diff of a
/// pending change with each field's Flink change class.
@Suite("sluice status against a running serve")
struct StatusCommandTests {
    static let operatorToken = "op-\(UUID().uuidString)"
    static let readToken = "ro-\(UUID().uuidString)"
    static let forge = "https://forge.example/org/specs"

    @Test("status and get print clusters and jobs; -o json parses; savepoint is taken and streamed; rounds, history and diff answer")
    func statusAgainstServe() async throws {
        let flink = try await FlinkSessionCluster(taskSlots: 4)
        defer { flink.stop() }
        let work = try TemporaryDirectory(prefix: "sluice-status")
        let output = work.url.appendingPathComponent("output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let checkout = work.url.appendingPathComponent("checkout")
        let repo = try SpecRepository(root: checkout, jar: try FlinkSessionCluster.testJobJar(), output: output, savepoints: flink.savepointDir)
        try repo.cluster("local", url: flink.restURL)
        var job = SpecRepository.Job()
        try repo.job(job)
        _ = try git(["init", "-q", "-b", "main"], in: checkout)
        _ = try git(["add", "-A"], in: checkout)
        _ = try git(["-c", "user.name=t", "-c", "user.email=t@l", "commit", "-qm", "counter v1"], in: checkout)
        let head = try git(["rev-parse", "HEAD"], in: checkout).trimmingCharacters(in: .whitespacesAndNewlines)

        let state = work.url.appendingPathComponent("state")
        let loop = ReconcileLoop(repository: try GitRepository.open(path: checkout.path),
                                 pipeline: Pipeline(stateDirectory: state, runtimes: RuntimeRegistry()),
                                 configuration: .init(revision: "main", interval: .seconds(3600),
                                                      options: SyncOptions(healthTimeout: .seconds(120)))) { _ in }
        let server = ServiceServer(loop: loop, journal: try Journal(directory: state), metrics: SluiceMetrics(), webhooks: nil,
                                   tokens: .init(read: Self.readToken, operate: Self.operatorToken), forgeURL: Self.forge)
        let serve = try await InProcessServe(loop: loop, server: server)
        defer { serve.cancel() }
        let base = serve.base
        let reader = HTTPClient(configuration: .init(bearerToken: Self.readToken, retry: .none))
        #expect(await eventually(timeout: .seconds(150)) {
            (try? await reader.send(HTTPRequest(.GET, base.appendingPathComponent("readyz"))).status) == 200
        })
        let read = ["SLUICE_API_TOKEN": Self.readToken, "SLUICE_SERVER": base.absoluteString]
        let act = ["SLUICE_API_TOKEN": Self.operatorToken, "SLUICE_SERVER": base.absoluteString]

        // The event stream, read by a real HTTP client on its own thread (libcurl's transfer thread).
        let events = EventLog()
        let streaming = Task { try await StatusClient(server: base, token: Self.readToken, tokenSource: "the test").events { events.append($0) } }
        defer { streaming.cancel() }

        // The job runs and Flink has completed a checkpoint: the status says so per job.
        func status() async throws -> Value {
            try JSON.decode(Array(try await reader.send(HTTPRequest(.GET, base.appendingPathComponent("api/v1/status"))).body))
        }
        #expect(await eventually(timeout: .seconds(120)) {
            let job = try? await status()[path: "clusters"]?[0]?["objects"]?[0]?["job"]
            return job?["state"]?.stringValue == "RUNNING" && job?[path: "lastCheckpoint", "id"]?.intValue != nil
        }, "the job's checkpoint shows within the reading interval")

        let json = try await SluiceBinary.run(["status", "-o", "json"], environment: read)
        #expect(json.status == 0, "\(json)")
        let document = try JSON.decode(json.stdout)
        #expect(document["forgeURL"]?.stringValue == Self.forge)
        let cluster = try #require(document[path: "clusters"]?[0])
        #expect(cluster["name"]?.stringValue == "local" && cluster["status"]?.stringValue == "synced" && cluster["health"]?.stringValue == "healthy")
        let object = try #require(cluster["objects"]?[0])
        #expect(object["object"]?.stringValue == "FlinkDeployment.flink.apache.org streaming/counter")
        #expect(object["sync"]?.stringValue == "synced" && object["health"]?.stringValue == "healthy")
        #expect(object["liveRevision"]?.stringValue == head, "the revision the job was applied from")
        #expect(object["lastOperation"]?.stringValue?.hasPrefix("create") == true, "\(object)")
        let jobStatus = try #require(object["job"])
        #expect(jobStatus["state"]?.stringValue == "RUNNING")
        #expect(jobStatus["upgradeMode"]?.stringValue == "savepoint" && jobStatus["parallelism"]?.intValue == 1)
        // Flink's metric fetcher reports numRestarts only after its first update (10 s by default): unknown until then, never invented.
        #expect(jobStatus["restarts"]?.isNull ?? true || jobStatus["restarts"]?.intValue == 0, "a job that never failed has not restarted")
        #expect((jobStatus[path: "lastCheckpoint", "ageSeconds"]?.doubleValue ?? -1) >= 0)
        #expect(jobStatus["lastSavepoint"]?.isNull ?? true, "no savepoint was taken yet: none is claimed")

        // The text form, under both names, with the cluster and the job.
        let text = try await SluiceBinary.run(["get", "--cluster", "local"], environment: read)
        #expect(text.status == 0, "\(text)")
        #expect(text.stdout.contains("CLUSTER") && text.stdout.contains("FlinkDeployment streaming/counter") && text.stdout.contains("RUNNING"), "\(text.stdout)")
        #expect(text.stdout.contains(String(head.prefix(12))), "\(text.stdout)")
        let watched = try await SluiceBinary.run(["status", "--help"])
        #expect(watched.stdout.contains("sluice status savepoint edge-munich-1 orders"), "the help teaches with examples")

        // A savepoint on request: refused with the read token, taken with the operator token.
        let refused = try await SluiceBinary.run(["status", "savepoint", "local", "counter"], environment: read)
        #expect(refused.status == 2 && refused.stderr.contains("may only read; this needs the operator token"), "\(refused)")
        let unknown = try await SluiceBinary.run(["status", "savepoint", "local", "nothing"], environment: act)
        #expect(unknown.status == 2 && unknown.stderr.contains("no job nothing on cluster local"), "\(unknown)")
        let taken = try await SluiceBinary.run(["status", "savepoint", "local", "counter", "-o", "json"], environment: act)
        #expect(taken.status == 0, "\(taken)")
        let answer = try JSONDecoder().decode(SavepointAnswer.self, from: Data(taken.stdout.utf8))
        let path = try #require(answer.savepointPath)
        #expect(FileManager.default.fileExists(atPath: URL(string: path)?.appendingPathComponent("_metadata").path ?? path), "Flink wrote \(path)")
        #expect(await eventually(timeout: .seconds(30)) {
            let job = try? await status()[path: "clusters"]?[0]?["objects"]?[0]?["job"]
            return job?[path: "lastSavepoint", "path"]?.stringValue == path && job?[path: "lastSavepoint", "source"]?.stringValue == "journal"
                && job?["state"]?.stringValue == "RUNNING"
        }, "the status names the new savepoint, and the job kept running")
        #expect(await eventually(timeout: .seconds(30)) { events.named("status").contains { $0.data.contains(path) } },
                "the event stream delivered the change: \(events.all.map(\.name))")
        #expect(events.named("status").first?.data.contains(path) == false, "the first status predates the savepoint")

        // Rounds: the first one synced local, with its times, commit link and journal records.
        let rounds = try JSONDecoder.iso.decode(RoundsDocument.self, from: try await reader.send(HTTPRequest(.GET, base.appendingPathComponent("api/v1/rounds"))).body)
        let first = try #require(rounds.rounds.last)
        #expect(first.reason == "start" && first.outcome == "synced" && first.commitURL == "\(Self.forge)/commit/\(head)")
        let bar = try #require(first.clusters.first)
        #expect(bar.name == "local" && bar.outcome == "synced" && bar.wave == 0)
        let (started, finished) = (try #require(bar.started), try #require(bar.finished))
        #expect(started >= first.started.addingTimeInterval(-1) && finished > started && finished <= first.finished.addingTimeInterval(1))
        let linked = try JSON.decode(Array(try await reader.send(HTTPRequest(.GET, URL(string: base.absoluteString + bar.journal)!)).body))
        let steps = linked.listValue?.compactMap { $0["step"]?.stringValue } ?? []
        #expect(steps.contains("submit") && steps.contains("healthGate"), "the bar's journal records: \(steps)")
        #expect(!steps.contains("savepoint"), "the later savepoint is outside the round's window")

        // History filters, paginated.
        let page = try await reader.send(HTTPRequest(.GET, URL(string: base.absoluteString + "/api/v1/history?job=counter&revision=\(head.prefix(8))&limit=1")!))
        let total = Int(page.headers["X-Total-Count"] ?? "") ?? 0
        let records = try JSON.decode(Array(page.body))
        #expect(total >= 2 && records.listValue?.count == 1, "\(total)")
        let savepoints = try JSON.decode(Array(try await reader.send(HTTPRequest(.GET, URL(string: base.absoluteString + "/api/v1/history?cluster=local&job=streaming/counter")!)).body))
        #expect(savepoints.listValue?.contains { $0["step"]?.stringValue == "savepoint" && $0["savepointPath"]?.stringValue == path } == true)

        // A pending change, planned but not applied (this replica follows): the diff names each
        // field with its Flink change class, and the status the class of the whole change.
        job.parallelism = 2
        job.configuration = ["kubernetes.operator.savepoint.history.max.count": "5"]
        try repo.job(job)
        _ = try git(["-c", "user.name=t", "-c", "user.email=t@l", "commit", "-qam", "counter: parallelism 2"], in: checkout)
        let v2 = try git(["rev-parse", "HEAD"], in: checkout).trimmingCharacters(in: .whitespacesAndNewlines)
        await loop.gate { false }
        let synced = try await SluiceBinary.run(["status", "sync"], environment: act)
        #expect(synced.status == 0 && synced.stdout.contains("queued"), "\(synced)")
        #expect(await eventually(timeout: .seconds(60)) { (try? await status())?["revision"]?.stringValue == v2 })
        let diff = try JSONDecoder.iso.decode(DiffDocument.self, from: try await reader.send(HTTPRequest(.GET, URL(string: base.absoluteString + "/api/v1/diff?cluster=local&object=counter")!)).body)
        #expect(diff.action == "upgrade" && diff.changeClass == "upgrade" && diff.liveRevision == head && diff.desiredRevision == v2)
        let fields = Dictionary(diff.fields.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(fields["spec.job.parallelism"]?.live == "1" && fields["spec.job.parallelism"]?.desired == "2")
        #expect(fields["spec.job.parallelism"]?.changeClass == "upgrade", "parallelism is a scale change only in standalone mode (operator JobSpec @SpecDiff)")
        #expect(fields["spec.flinkConfiguration[kubernetes.operator.savepoint.history.max.count]"]?.changeClass == "ignore", "\(diff.fields.map(\.path))")
        #expect(diff.desired?.contains("\"parallelism\":2") == true && diff.live?.contains("\"parallelism\":1") == true)
        let pending = try await status()[path: "clusters"]?[0]?["objects"]?[0]
        #expect(pending?["changeClass"]?.stringValue == "upgrade" && pending?["sync"]?.stringValue == "out-of-sync")
        let missing = try await reader.send(HTTPRequest(.GET, URL(string: base.absoluteString + "/api/v1/diff?cluster=local&object=nothing")!))
        #expect(missing.status == 404 && String(decoding: missing.body, as: UTF8.self).contains("no object nothing on cluster local"))

        // Clear errors: no server there, a wrong token.
        let closed = try freePort()
        let unreachable = try await SluiceBinary.run(["status", "--server", "http://127.0.0.1:\(closed)"], environment: read)
        #expect(unreachable.status == 2 && unreachable.stderr.contains("cannot reach the Sluice server at http://127.0.0.1:\(closed)"), "\(unreachable)")
        let bogus = "bogus-\(UUID().uuidString)"
        let wrong = try await SluiceBinary.run(["status"], environment: ["SLUICE_API_TOKEN": bogus, "SLUICE_SERVER": base.absoluteString])
        #expect(wrong.status == 2 && wrong.stderr.contains("the server refused the token from $SLUICE_API_TOKEN"), "\(wrong)")
        #expect(!wrong.stderr.contains(bogus) && !wrong.stdout.contains(bogus), "the token itself is never printed")

        await loop.stop()
    }
}
}
