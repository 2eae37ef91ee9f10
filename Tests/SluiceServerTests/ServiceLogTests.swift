import Foundation
import Logging
import SluiceCore
import SluiceFlink
import SluiceGit
import SluicePipeline
@testable import SluiceServer
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import SluiceYAML
import Testing

@Suite("serve's log: one line per step, text or JSON, never a secret")
struct ServiceLogTests {
    /// Collects the lines a handler writes.
    final class Sink: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func write(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
        var json: [[String: String]] {
            all.compactMap { line in
                guard let map = (try? JSON.decode(line))?.mapValue else { return nil }
                var fields: [String: String] = [:]
                for entry in map { fields[entry.key] = entry.value.stringValue }
                return fields
            }
        }
    }

    static func logger(_ sink: Sink, format: LogFormat = .json, level: Logger.Level = .info, secrets: SecretList = SecretList()) -> Logger {
        Logger(label: "test") { _ in ServiceLogHandler(format: format, level: level, secrets: secrets, write: { sink.write($0) }) }
    }

    @Test("JSON is one object per line; text is one line with key=value; levels filter; secrets are blanked everywhere")
    func formats() throws {
        let secret = "s3cr3t-\(UUID().uuidString)"
        let secrets = SecretList([secret, "short"])
        let json = Sink(), text = Sink()
        var logger = Self.logger(json, secrets: secrets)
        logger.info("fetched", metadata: ["commit": "abc", "author": "Ada <ada@example.test>"])
        logger.debug("not shown at info")
        logger.error("request failed with Authorization: Bearer \(secret)\nsecond line", metadata: ["url": "https://x/?token=\(secret)"])
        #expect(json.all.count == 2)
        #expect(json.all.allSatisfy { $0.hasSuffix("\n") && $0.dropLast().contains("\n") == false }, "one line each: \(json.all)")
        let first = try #require(json.json.first)
        #expect(first["message"] == "fetched" && first["level"] == "info" && first["commit"] == "abc" && first["author"] == "Ada <ada@example.test>")
        #expect(first["time"].flatMap { try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse($0) } != nil)
        #expect(!json.all.joined().contains(secret))
        #expect(json.json.last?["message"]?.contains("[redacted]") == true && json.json.last?["url"] == "https://x/?token=[redacted]")

        logger = Self.logger(text, format: .text, level: .debug, secrets: secrets)
        logger.warning("waiting for health", metadata: ["cluster": "edge", "detail": "job 1 is RESTARTING: it failed"])
        logger.debug("short words stay: short")
        let line = try #require(text.all.first)
        #expect(line.contains(" WARNING waiting for health cluster=edge detail=\"job 1 is RESTARTING: it failed\"\n"), "\(line)")
        #expect(text.all.last?.contains("short words stay: short") == true, "values under six characters are not redacted")
    }

    @Test("a health gate that keeps waiting is logged at most once per 10 s and object; progress follows the steps")
    func healthThrottleAndProgress() throws {
        let sink = Sink()
        let tracker = RoundTracker(logger: Self.logger(sink))
        tracker.begin(.webhook)
        #expect(tracker.progress?.phase == .fetching && tracker.progress?.reason == "webhook")
        let a = ObjectIdentity(group: "flink.apache.org", kind: "FlinkDeployment", namespace: "ns", name: "a")
        let b = ObjectIdentity(group: "flink.apache.org", kind: "FlinkDeployment", namespace: "ns", name: "b")
        for _ in 0..<5 {
            tracker.event(.healthWaiting(cluster: "c1", identity: a, health: Health(.progressing, "job starting")))
            tracker.event(.healthWaiting(cluster: "c1", identity: b, health: Health(.progressing, "waiting for a checkpoint")))
        }
        let waits = sink.json.filter { $0["message"] == "waiting for health" }
        #expect(waits.count == 2, "one line per object within 10 s: \(waits)")
        #expect(Set(waits.compactMap { $0["object"] }) == [a.description, b.description])
    }

    @Test("a round logs fetch (commit and author), load, verdicts, each cluster's plan and its outcome; a cluster credential never shows")
    func roundLines() async throws {
        let checkout = try TemporaryDirectory(prefix: "sluice-log-round")
        let variable = "SLUICE_TEST_FLINK_TOKEN_\(UInt32.random(in: 0...UInt32.max))"
        let token = "tok-\(UUID().uuidString)"
        setenv(variable, token, 1)
        defer { unsetenv(variable) }
        _ = try checkout.write("clusters/far.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Cluster
            metadata: {name: far, labels: {site: far}}
            spec: {tier: private, driver: flink, flink: {url: "http://127.0.0.1:9", bearerToken: {env: \(variable)}}}
            """)
        _ = try checkout.write("environments/e.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Environment
            metadata: {name: e}
            spec: {namespace: apps, clusters: {matchLabels: {site: far}}, jobs: {matchLabels: {app: none}}}
            """)
        _ = try git(["init", "-q", "-b", "main"], in: checkout.url)
        _ = try git(["add", "-A"], in: checkout.url)
        _ = try git(["-c", "user.name=Grace", "-c", "user.email=grace@example.test", "commit", "-qm", "far cluster"], in: checkout.url)
        let head = try git(["rev-parse", "HEAD"], in: checkout.url).trimmingCharacters(in: .whitespacesAndNewlines)
        let state = try TemporaryDirectory(prefix: "sluice-log-state")
        let sink = Sink(), secrets = SecretList()
        let logger = Self.logger(sink, secrets: secrets)
        let loop = ReconcileLoop(repository: try GitRepository.open(path: checkout.path), pipeline: Pipeline(stateDirectory: state.url),
                                 configuration: .init(revision: "main", interval: .seconds(3600))) { logger.warning("\($0)") }
        loop.tracker.use(logger, secrets: secrets)
        #expect(loop.tracker.progress == nil)
        let round = await loop.round(reason: .start)
        #expect(loop.tracker.progress == nil, "no round runs: no progress")
        let lines = sink.json
        let messages = lines.compactMap { $0["message"] }
        #expect(lines.first { $0["message"] == "fetched" }?["author"] == "Grace <grace@example.test>")
        #expect(lines.first { $0["message"] == "fetched" }?["commit"] == head)
        #expect(messages.contains("loaded") && messages.contains("policy verdicts"))
        #expect(lines.contains { $0["message"] == "plan: cluster cannot be synced" && $0["cluster"] == "far" && $0["level"] == "error" }, "\(messages)")
        #expect(lines.last?["message"]?.hasPrefix("round \(round.outcome)") == true, "the outcome ends the round: \(messages)")
        // The credential the specs name is known to the log now: even a line that carried it shows none.
        logger.error("a driver error that quoted \(token)")
        #expect(!sink.all.joined().contains(token))
    }

    @Test("Flink's exception history: the newest failures since a change, each with its root cause")
    func exceptionHistory() throws {
        let body = #"""
            {"exceptionHistory": {"entries": [
              {"exceptionName": "java.nio.file.FileSystemException", "timestamp": 2000,
               "stacktrace": "org.apache.flink.runtime.JobException: Recovery is suppressed\n\tat x\nCaused by: java.nio.file.FileSystemException: /dev/null/out: Not a directory\n\tat y"},
              {"exceptionName": "java.io.IOException", "timestamp": 1000, "stacktrace": ""}
            ], "truncated": false}}
            """#
        let history = try JSONDecoder().decode(JobExceptionHistory.self, from: Data(body.utf8))
        #expect(history.failures(since: 1500).count == 1)
        #expect(history.failures(since: 0).count == 2)
        #expect(history.entries.first?.cause == "java.nio.file.FileSystemException: /dev/null/out: Not a directory")
        #expect(history.entries.last?.cause == "java.io.IOException")
        // A Flink that sends no history (or an older shape) gives an empty one, not an error.
        #expect(try JSONDecoder().decode(JobExceptionHistory.self, from: Data("{}".utf8)).entries.isEmpty)
    }
}
