import Foundation
import SluiceTestSupport
import Testing

/// Flags are checked by `validate()`, before anything runs, and `--help` reads as the parser wraps it.
@Suite("Arguments and help")
struct ArgumentValidationTests {
    @Test("a malformed --leader-election or --listen is a usage error before the repository is opened", arguments: [
        (["serve", "--leader-election", "sluice-system"], "--leader-election sluice-system is not namespace/name"),
        (["serve", "--leader-election", "a/b/c"], "--leader-election a/b/c is not namespace/name"),
        (["serve", "--listen", "8080"], "--listen 8080 is not host:port"),
        (["runtime", "serve", "--listen", "localhost", "--token-file", "/nonexistent"], "--listen localhost is not host:port"),
    ])
    func malformed(arguments: [String], message: String) async throws {
        let result = try await SluiceBinary.run(arguments + (arguments.first == "serve" ? ["--repo", "/nonexistent"] : []))
        #expect(result.status == 2, "\(result)")  // ExitStatus.usage
        #expect(result.stderr.contains(message), "\(result)")
        #expect(!result.stderr.contains("/nonexistent"), "refused before the repository or token file is read: \(result)")
    }

    static let commands: [[String]] = [[], ["validate"], ["render"], ["check"], ["plan"], ["sync"], ["serve"], ["status"], ["runtime"]]

    /// The overview of `--help` (abstract and discussion), before USAGE.
    static func overview(_ command: [String], columns: Int) async throws -> [Substring] {
        let help = try await SluiceBinary.run(command + ["--help"], environment: ["COLUMNS": String(columns)])
        let text = help.stdout.components(separatedBy: "\nUSAGE:").first ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    @Test("each paragraph of a discussion is one line the parser wraps; examples and lists keep their lines", arguments: commands)
    func helpWraps(command: [String]) async throws {
        let wide = try await Self.overview(command, columns: 5000)
        #expect(wide.count > 3, "\(wide)")
        // Unwrapped (5000 columns), prose is one line per paragraph: two prose lines in a row were hand-wrapped.
        for (line, next) in zip(wide, wide.dropFirst()) where !line.isEmpty && !next.isEmpty && line.first != " " && next.first != " " {
            Issue.record("`sluice \(command.joined(separator: " ")) --help` breaks a paragraph by hand after: \(line)")
        }
        // At 80 columns every example and list line still stands on its own line, unbroken.
        let narrow = try await Self.overview(command, columns: 80)
        for line in wide where line.first == " " {
            #expect(narrow.contains(line), "`sluice \(command.joined(separator: " ")) --help` wraps \"\(line)\" at 80 columns")
        }
    }
}
