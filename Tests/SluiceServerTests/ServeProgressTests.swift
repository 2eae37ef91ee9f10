import Foundation
import SluiceCore
import SluiceHTTP
import SluiceTestSupport
import SluiceYAML
import Testing

extension RealFlink {
/// What `sluice serve` says while it works, against a real Flink session cluster: the log lines
/// of a round (JSON, one object per line, no secret in them), the round in progress in the
/// status API, a job that cannot start failing its cluster at once with Flink's own cause, and a
/// second SIGTERM stopping a round at a safe point.
@Suite("sluice serve: a service that says what it is doing")
struct ServeProgressTests {
    static let operatorToken = "op-\(UUID().uuidString)"
    static let webhookSecret = "hook-\(UUID().uuidString)"
    static let flinkToken = "flink-\(UUID().uuidString)"
    static let counter = "FlinkDeployment.flink.apache.org streaming/counter"

    @Test("log lines of a round, the in-progress status, the fast failure of a job that cannot start, the second-signal stop")
    func roundInProgress() async throws {
        let flink = try await FlinkSessionCluster(taskSlots: 4)
        defer { flink.stop() }
        let work = try TemporaryDirectory(prefix: "sluice-serve-progress")
        let output = work.url.appendingPathComponent("output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let repo = try SpecRepository(root: work.url.appendingPathComponent("checkout"), jar: try FlinkSessionCluster.testJobJar(),
                                      output: output, savepoints: flink.savepointDir)
        // The cluster's credential is referenced from the environment; its value must never reach the log.
        try repo.write("clusters/local.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Cluster
            metadata: {name: local, labels: {purpose: test}}
            spec:
              tier: private
              driver: flink
              flink:
                url: \(flink.restURL.absoluteString)
                bearerToken: {env: FLINK_TOKEN}
            """)
        var job = SpecRepository.Job()
        try repo.job(job)
        // A job that cannot start: its operator cannot create its output folder (under a file),
        // so every attempt fails in open() and Flink restarts it every second, forever.
        try repo.write("jobs/broken.yaml", """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkDeployment
            metadata:
              name: broken
              labels: {app.kubernetes.io/part-of: sluice-tests}
            spec:
              flinkVersion: v2_0
              job:
                jarURI: \(repo.jar.absoluteString)
                entryClass: dev.sluice.testjob.CountingJob
                args: ["--keys", "1", "--rate", "5", "--output", "/dev/null/broken", "--tag", "x"]
                parallelism: 1
                upgradeMode: stateless
                state: running
            """)
        let checkout = repo.root
        _ = try git(["init", "-q", "-b", "main"], in: checkout)
        _ = try git(["add", "-A"], in: checkout)
        _ = try git(["-c", "user.name=Ada Operator", "-c", "user.email=ada@example.test", "commit", "-qm", "counter and broken"], in: checkout)
        let head1 = try git(["rev-parse", "HEAD"], in: checkout).trimmingCharacters(in: .whitespacesAndNewlines)

        let port = try freePort()
        let base = URL(string: "http://127.0.0.1:\(port)")!
        let log = work.url.appendingPathComponent("serve.log")
        let serve = try SpawnedProcess(SluiceBinary.url.path, [
            "serve", "--repo", checkout.path, "--revision", "main", "--interval", "3600", "--listen", "127.0.0.1:\(port)",
            "--state-dir", work.url.appendingPathComponent("state").path, "--health-timeout", "600", "--log-format", "json",
        ], env: ["SLUICE_API_TOKEN": Self.operatorToken, "SLUICE_WEBHOOK_SECRET": Self.webhookSecret, "FLINK_TOKEN": Self.flinkToken,
                 "SLUICE_ALLOWED_ROOTS": repo.allowedRoots.joined(separator: ":")],
           stderrPath: log.path)
        defer { serve.stop(graceSeconds: 10) }
        let client = HTTPClient(configuration: .init(bearerToken: Self.operatorToken, retry: .none))
        func status() async -> Value? {
            guard let response = try? await client.send(HTTPRequest(.GET, base.appendingPathComponent("api/v1/status"))),
                  response.status == 200 else { return nil }
            return try? JSON.decode(Array(response.body))
        }
        func text() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        // The first round is never a blank page: from its first answer, the status shows the round
        // in progress, and each cluster's state as it moves.
        var seen: [String] = []
        var firstAnswer: Value?
        let applying = await eventually(timeout: .seconds(150)) {
            guard let document = await status() else { return false }
            if firstAnswer == nil { firstAnswer = document }
            guard let progress = document["progress"], !progress.isNull else { return false }
            let local = progress["clusters"]?.listValue?.first { $0["name"]?.stringValue == "local" }
            if let state = local?["state"]?.stringValue, seen.last != state { seen.append(state) }
            return local?["state"]?.stringValue == "waiting-for-health" || local?["state"]?.stringValue == "applying"
        }
        #expect(applying, "no round in progress was shown; states seen: \(seen)\n\(text().suffix(3000))")
        let first = try #require(firstAnswer)
        #expect(first["progress"] != nil && first["progress"]?.isNull == false, "the first answer shows the round in progress: \(first)")
        #expect(first[path: "progress", "reason"]?.stringValue == "start")
        #expect(first[path: "progress", "started"]?.stringValue?.contains("T") == true)

        // The broken job fails its cluster at once, with the cause from Flink's exception
        // history, long before the 600 s health timeout.
        let finished = await eventually(timeout: .seconds(180)) {
            guard let document = await status() else { return false }
            return document["lastRound"] != nil && document["lastRound"]?.isNull == false && document["progress"]?.isNull == true
        }
        #expect(finished, "the first round did not end: \(text().suffix(3000))")
        let after = try #require(await status())
        let local = try #require(after["clusters"]?.listValue?.first { $0["name"]?.stringValue == "local" })
        #expect(local["status"]?.stringValue == "failed", "\(local)")
        let message = local["message"]?.stringValue ?? ""
        #expect(message.contains("cannot start") && message.contains("/dev/null/broken"), "the cause from Flink's exception history: \(message)")
        #expect(after["progress"]?.isNull == true, "no round runs: progress is null")

        // The log: one JSON object per line, one line per step.
        let lines = Self.lines(text())
        func has(_ message: String, _ fields: [String: String] = [:]) -> Bool {
            lines.contains { line in line["message"] == message && fields.allSatisfy { line[$0.key] == $0.value } }
        }
        #expect(has("fetched", ["commit": head1, "author": "Ada Operator <ada@example.test>", "level": "info"]), "\(text().prefix(3000))")
        #expect(has("loaded"))
        #expect(has("policy verdicts", ["violations": "0"]))
        #expect(lines.contains { $0["message"] == "plan" && $0["cluster"] == "local" && ($0["actions"] ?? "").contains("create \(Self.counter)") })
        #expect(has("action started", ["object": Self.counter, "action": "create"]))
        #expect(has("action done", ["object": Self.counter, "action": "create"]))
        #expect(lines.contains { $0["message"] == "waiting for health" && $0["cluster"] == "local" })
        #expect(lines.contains { $0["message"] == "cluster failed" && $0["level"] == "error" && ($0["detail"] ?? "").contains("cannot start") })
        #expect(lines.contains { ($0["message"] ?? "").hasPrefix("round synced") && $0["level"] == "error" && $0["revision"] == head1 })
        // A health gate that keeps waiting says so at most once every 10 s per object.
        for (object, times) in Dictionary(grouping: lines.filter { $0["message"] == "waiting for health" }, by: { $0["object"] ?? "" }) {
            let instants = times.compactMap { $0["time"].flatMap(Self.date) }
            for (earlier, later) in zip(instants, instants.dropFirst()) {
                #expect(later.timeIntervalSince(earlier) >= 9.9, "\(object) was logged twice within 10 s")
            }
        }

        // A round that waits for a long health gate (parallelism 8 on 4 slots: the slots never
        // come), cut short by a second SIGTERM.
        try? FileManager.default.removeItem(at: checkout.appendingPathComponent("jobs/broken.yaml"))
        job.tag = "v2"
        job.parallelism = 8
        try repo.job(job)
        _ = try git(["add", "-A"], in: checkout)
        _ = try git(["-c", "user.name=Ada Operator", "-c", "user.email=ada@example.test", "commit", "-qm", "counter v2 at parallelism 8"], in: checkout)
        let head2 = try git(["rev-parse", "HEAD"], in: checkout).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await client.send(HTTPRequest(.POST, base.appendingPathComponent("api/v1/sync"))).status == 202)
        let waiting = await eventually(timeout: .seconds(150)) {
            guard let document = await status(), document[path: "progress", "revision"]?.stringValue == head2 else { return false }
            let local = document[path: "progress", "clusters"]?.listValue?.first { $0["name"]?.stringValue == "local" }
            return local?["state"]?.stringValue == "waiting-for-health" && local?["done"]?.intValue == 1 && local?["total"]?.intValue == 1
        }
        #expect(waiting, "the v2 round did not reach its health gate: \(text().suffix(3000))")
        kill(serve.pid, SIGTERM)
        #expect(await eventually(timeout: .seconds(30)) { text().contains("a second SIGTERM or SIGINT stops it at the next safe point") },
                "the first signal says what a second one does: \(text().suffix(2000))")
        #expect(serve.isRunning, "the first signal lets the round finish")
        kill(serve.pid, SIGTERM)
        let exitStatus = try? await onDedicatedThread("wait-for-serve") { try serve.wait(timeout: 90) }
        #expect(exitStatus == 0, "the second SIGTERM did not end serve within 90 s (health timeout 600 s): \(text().suffix(3000))")
        let final = Self.lines(text())
        #expect(final.contains { $0["message"]?.contains("SIGTERM again: stopping the round at the next safe point") == true && $0["level"] == "warning" })
        #expect(final.contains { $0["message"] == "cluster failed" && ($0["detail"] ?? "").contains("stopped at a safe point") },
                "\(text().suffix(3000))")
        // It stopped after the submit, never between stop-with-savepoint and submit: the journal
        // holds no open intent for the job, and v2 was submitted.
        let journal = try Journal(directory: work.url.appendingPathComponent("state"))
        #expect(try journal.unfinishedIntent(cluster: "local", object: Self.counter) == nil)
        let records = try journal.records(cluster: "local", object: Self.counter)
        let stop = try #require(records.lastIndex { $0.step == .stopWithSavepoint && $0.phase == .outcome && $0.succeeded == true })
        #expect(records[stop...].contains { $0.step == .submit && $0.phase == .outcome && $0.succeeded == true && $0.revision == head2 })

        // No secret in any line.
        let everything = text()
        for secret in [Self.operatorToken, Self.webhookSecret, Self.flinkToken] {
            #expect(!everything.contains(secret), "a secret reached the log")
        }
        #expect(final.count == everything.split(separator: "\n").count, "every line is one JSON object")
    }

    /// Every log line as a flat JSON object of strings (lines that do not parse are left out).
    static func lines(_ text: String) -> [[String: String]] {
        text.split(separator: "\n").compactMap { line in
            guard let map = (try? JSON.decode(String(line)))?.mapValue else { return nil }
            var fields: [String: String] = [:]
            for entry in map { if let text = entry.value.stringValue { fields[entry.key] = text } }
            return fields
        }
    }

    static func date(_ text: String) -> Date? {
        try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}
}
