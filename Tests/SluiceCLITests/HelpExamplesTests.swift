import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

/// Every command's `--help` ends with an example, and that example runs as written from the root
/// of a clone of this repository: it is run here exactly as printed.
@Suite("--help examples run as written")
struct HelpExamplesTests {
    static let commands: [[String]] = [
        [], ["validate"], ["render"], ["check"], ["plan"], ["sync"], ["serve"],
        ["runtime"], ["runtime", "serve"], ["runtime", "status"], ["runtime", "down"],
    ]

    /// The example at the end of `sluice <command> --help`.
    static func example(_ command: [String]) async throws -> [String] {
        let help = try await SluiceBinary.run(command + ["--help"])
        #expect(help.status == 0, "\(help)")
        let lines = help.stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        #expect(lines.dropLast().last == "EXAMPLE:", "the help of \(command) does not end with an example:\n\(help.stdout.suffix(400))")
        let words = (lines.last ?? "").split(separator: " ").map(String.init)
        #expect(words.first == "sluice" && Array(words.dropFirst().prefix(command.count)) == command,
                "the example of \(command) runs another command: \(words)")
        return Array(words.dropFirst())
    }

    /// What argument-parser prints when it refuses a command line.
    static func refusedByParser(_ stderr: String) -> Bool {
        stderr.contains("Usage: sluice") || stderr.contains("See 'sluice")
    }

    @Test("each example ends its command's help and is accepted and run")
    func examplesRun() async throws {
        let work = try TemporaryDirectory(prefix: "sluice-help")
        let clone = work.url.appendingPathComponent("sluice")
        // A clone of this repository with history (the check example compares HEAD~1 with HEAD).
        _ = try git(["clone", "-q", "--depth", "2", "file://\(SluiceBinary.repositoryRoot.path)", clone.path], in: work.url)
        let environment = ["SLUICE_STATE_DIR": work.url.appendingPathComponent("state").path, "SLUICE_CACHE_DIR": work.url.appendingPathComponent("cache").path]
        try "runtime-token-\(UUID().uuidString)".write(to: clone.appendingPathComponent("runtime-token"), atomically: true, encoding: .utf8)

        for command in Self.commands {
            let arguments = try await Self.example(command)
            if command == ["serve"] || command == ["runtime", "serve"] {
                try await Self.runServer(arguments, in: clone, environment: environment)
                continue
            }
            let result = try await SluiceBinary.run(arguments, in: clone, environment: environment)
            #expect(!Self.refusedByParser(result.stderr), "\(arguments): \(result)")
            switch command.first {
            case nil, "validate", "render", "check":
                #expect(result.status == 0, "\(arguments): \(result)")
            case "plan":
                // Changes planned (edge-lab runs nothing yet): 2, as `terraform plan -detailed-exitcode`.
                #expect(result.status == 0 || result.status == 2, "\(arguments): \(result)")
                #expect(result.stdout.contains("edge-lab"), "\(arguments): \(result)")
            case "sync":
                #expect(result.status == 0, "a dry run changes nothing and succeeds: \(arguments): \(result)")
            default:
                #expect(result.status == 0, "\(arguments): \(result)")
            }
        }
    }

    /// A long-running example: it starts, keeps running, and stops cleanly on SIGTERM.
    static func runServer(_ arguments: [String], in directory: URL, environment: [String: String]) async throws {
        let log = directory.appendingPathComponent("server-\(arguments.prefix(2).joined(separator: "-")).log")
        let server = try SpawnedProcess(SluiceBinary.url.path, arguments, cwd: directory, env: environment, stderrPath: log.path)
        defer { server.stop(graceSeconds: 10) }
        func text() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        let started = await eventually(timeout: .seconds(60)) { !server.isRunning || text().contains("127.0.0.1:") }
        // The address is logged before it is bound: give a refused bind the time to end the process.
        try await Task.sleep(for: .seconds(2))
        let output = text()
        #expect(!refusedByParser(output), "\(arguments): \(output)")
        guard started, server.isRunning else {
            // A port another program holds is the only refusal accepted; the arguments were still accepted.
            #expect(output.contains("in use"), "\(arguments) ended: \(output)")
            return
        }
        kill(server.pid, SIGTERM)
        let status = try await onDedicatedThread("wait-for-example") { try server.wait(timeout: 60) }
        #expect(status == 0, "\(arguments): \(text())")
    }
}
