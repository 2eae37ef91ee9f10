import Foundation
import SluiceTestSupport
import Testing

/// `sluice sync` shows progress with the time elapsed on standard error only when it is a terminal.
@Suite("CLI progress: on a terminal only")
struct TerminalProgressTests {
    @Test("sync prints progress lines with elapsed time on a terminal, and none into a pipe")
    func terminalOnly() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            Issue.record("util-linux's script(1) is needed to give sluice a terminal")
            return
        }
        let repo = try TemporaryDirectory(prefix: "sluice-progress")
        _ = try repo.write("clusters/far.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Cluster
            metadata: {name: far, labels: {site: far}}
            spec: {tier: private, driver: flink, flink: {url: "http://127.0.0.1:9"}}
            """)
        _ = try repo.write("environments/e.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Environment
            metadata: {name: e}
            spec: {namespace: apps, clusters: {matchLabels: {site: far}}, jobs: {matchLabels: {app: none}}}
            """)
        let state = repo.url.appendingPathComponent("state").path
        let arguments = ["sync", "--repo", repo.path, "--state-dir", state]

        // Into a pipe: the report on standard output, no progress lines.
        let piped = try await SluiceBinary.run(arguments)
        #expect(piped.status == 3, "\(piped)")
        #expect(!piped.stderr.contains("s] far: error"), "no progress when standard error is not a terminal: \(piped.stderr)")

        // On a terminal (script(1) gives it a pseudo-terminal): each step with its elapsed time.
        let command = ([SluiceBinary.url.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let onTerminal = try await SluiceBinary.runExecutable("/usr/bin/script", ["-qec", command, "/dev/null"])
        let elapsed = try Regex(#"\[\s*\d+\.\ds\] +far: error"#)
        #expect(onTerminal.stdout.contains(elapsed), "progress with elapsed time on a terminal: \(onTerminal)")
    }
}
