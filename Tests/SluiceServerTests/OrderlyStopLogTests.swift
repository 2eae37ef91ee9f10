import Foundation
import Logging
import SluiceCore
import SluiceHTTP
@testable import SluiceServer
import SluiceTestSupport
import SluiceYAML
import Testing

/// An orderly stop is not an error: the HTTP server's own error lines from its shutdown race
/// (HummingbirdCore: "Server shutdown error: Already closed", "Waiting on child channel:
/// CancellationError()") are logged at debug once the stop has begun, and a serve stopped by
/// SIGTERM logs no error line.
@Suite("An orderly stop logs no error")
struct OrderlyStopLogTests {
    @Test("HummingbirdCore's error lines are errors before the stop and debug after it; other modules' errors stay errors")
    func lowered() {
        let captured = CapturedLines()
        let stop = ServerStop()
        func logger(level: Logger.Level) -> Logger {
            var logger = Logger(label: "sluice")
            logger.handler = OrderlyStopLogHandler(base: ServiceLogHandler(format: .json, level: level, write: { captured.append($0) }), stop: stop)
            return logger
        }
        let info = logger(level: .info), debug = logger(level: .debug)
        info.error("channel failed", source: OrderlyStopLogHandler.serverCore)
        stop.begin()
        info.error("closing", source: OrderlyStopLogHandler.serverCore)
        debug.error("closing at debug", source: OrderlyStopLogHandler.serverCore)
        info.error("a round failed", source: "SluiceServer")
        let levels = Dictionary(captured.lines.compactMap { line -> (String, String)? in
            guard let value = try? JSON.decode(line), let message = value["message"]?.stringValue,
                  let level = value["level"]?.stringValue else { return nil }
            return (message, level)
        }, uniquingKeysWith: { first, _ in first })
        #expect(levels["channel failed"] == "error", "before the stop a server error is an error: \(captured.lines)")
        #expect(levels["closing"] == nil, "lowered to debug, below the info level: \(captured.lines)")
        #expect(levels["closing at debug"] == "debug", "kept, at debug: \(captured.lines)")
        #expect(levels["a round failed"] == "error", "only the HTTP server's own lines are lowered: \(captured.lines)")
    }

    @Test("a serve stopped by SIGTERM exits 0 and logs no error line")
    func sigtermStop() async throws {
        let work = try TemporaryDirectory(prefix: "sluice-orderly-stop")
        let specs = work.url.appendingPathComponent("specs")
        _ = try work.write("specs/environments/e.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Environment
            metadata: {name: e}
            spec: {namespace: apps, clusters: {matchLabels: {site: none}}, jobs: {matchLabels: {app: none}}}
            """)
        try git(["init", "-q"], in: specs)
        try git(["add", "-A"], in: specs)
        try git(["commit", "-qm", "one"], in: specs)
        let port = try freePort()
        let token = "ro-\(UUID().uuidString)"
        let log = work.url.appendingPathComponent("serve.log")
        let serve = try SpawnedProcess(SluiceBinary.url.path, [
            "serve", "--repo", specs.path, "--revision", "main", "--interval", "3600", "--listen", "127.0.0.1:\(port)",
            "--state-dir", work.url.appendingPathComponent("state").path, "--log-format", "json",
        ], env: ["SLUICE_API_READ_TOKEN": token], stderrPath: log.path)
        defer { serve.stop(graceSeconds: 5) }
        let text = { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        let reader = HTTPClient(configuration: .init(bearerToken: token, retry: .none))
        func status() async -> Value? {
            guard let response = try? await reader.send(HTTPRequest(.GET, URL(string: "http://127.0.0.1:\(port)/api/v1/status")!)),
                  response.status == 200 else { return nil }
            return try? JSON.decode(Array(response.body))
        }
        // Served, and the first round done, with a connection kept open by the client.
        #expect(await eventually(timeout: .seconds(60)) {
            guard serve.isRunning else { return true }
            return await status()?["lastRound"]?.stringValue != nil
        } && serve.isRunning, "serve did not start: \(text().suffix(3000))")

        kill(serve.pid, SIGTERM)
        let exitStatus = try? await onDedicatedThread("wait-for-serve") { try serve.wait(timeout: 30) }
        #expect(exitStatus == 0, "serve did not stop in order: \(text().suffix(3000))")
        let lines = text().split(separator: "\n").compactMap { try? JSON.decode(String($0)) }
        #expect(lines.contains { $0["message"]?.stringValue == "stopping: no round in progress" }, "\(text().suffix(3000))")
        let errors = lines.filter { ["error", "critical"].contains($0["level"]?.stringValue ?? "") }
        #expect(errors.isEmpty, "an orderly stop logged errors: \(errors)")
    }
}

/// Lines a log handler wrote.
final class CapturedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var all: [String] = []
    var lines: [String] { lock.withLock { all } }
    func append(_ line: String) { lock.withLock { all.append(line) } }
}
