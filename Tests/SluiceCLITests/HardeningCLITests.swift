import Foundation
import SluiceTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The sluice binary against hostile commits, servers and flags (issue: no commit and no request
/// can crash Sluice, exhaust its memory or read the host's files).
@Suite("Hardening: the sluice binary")
struct HardeningCLITests {
    static let environment = """
        apiVersion: sluice.dev/v1alpha1
        kind: Environment
        metadata: {name: e}
        spec: {namespace: apps, clusters: {matchLabels: {site: none}}, jobs: {matchLabels: {app: none}}}
        """

    /// A repository with one valid spec file, committed.
    static func repository() throws -> TemporaryDirectory {
        let repo = try TemporaryDirectory(prefix: "sluice-hardening")
        _ = try repo.write("specs/environments/e.yaml", environment)
        try git(["init", "-q", "-b", "main"], in: repo.url)
        try git(["add", "-A"], in: repo.url)
        try git(["-c", "user.name=t", "-c", "user.email=t@l", "commit", "-qm", "first"], in: repo.url)
        return repo
    }

    /// Runs sluice under /usr/bin/time and returns the result with the peak RSS in KiB.
    static func runMeasured(_ arguments: [String], in directory: URL) async throws -> (SluiceBinary.Result, Int) {
        let report = directory.appendingPathComponent("time-\(UUID().uuidString).txt")
        let result = try await SluiceBinary.runExecutable("/usr/bin/time", ["-f", "%M", "-o", report.path, SluiceBinary.url.path] + arguments, in: directory)
        let text = try String(contentsOf: report, encoding: .utf8)
        let kib = Int(text.split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "") ?? Int.max
        return (result, kib)
    }

    // MARK: Item 3: Git timeouts

    @Test("validate against a Git server that accepts and never answers ends with a timeout", arguments: ["git", "http"])
    func silentGitServer(scheme: String) async throws {
        let server = try SilentServer()
        defer { server.stop() }
        let cache = try TemporaryDirectory(prefix: "sluice-cache")
        let started = ContinuousClock.now
        let result = try await SluiceBinary.run(["validate", "--repo", "\(scheme)://127.0.0.1:\(server.port)/specs.git", "--cache-dir", cache.path,
                                                 "--git-connect-timeout", "2s", "--git-stall-timeout", "1s", "--git-timeout", "10s"])
        // Without limits this never ends; the bound is loose because a loaded machine starts the binary slowly.
        #expect(ContinuousClock.now - started < .seconds(60))
        #expect(result.status != 0)
        #expect(result.stderr.contains("no progress for 1s"), "\(result)")
        #expect(result.signal == nil)
    }

    @Test("serve keeps answering while Git never answers, says why, and stops at once on SIGTERM")
    func serveWithSilentGit() async throws {
        let server = try SilentServer()
        defer { server.stop() }
        let work = try TemporaryDirectory(prefix: "sluice-serve-silent")
        let port = try freePort()
        let log = work.url.appendingPathComponent("serve.log")
        let serve = try SpawnedProcess(SluiceBinary.url.path, [
            "serve", "--repo", "git://127.0.0.1:\(server.port)/specs.git", "--cache-dir", work.url.appendingPathComponent("cache").path,
            "--state-dir", work.url.appendingPathComponent("state").path, "--listen", "127.0.0.1:\(port)",
            "--git-stall-timeout", "2s", "--git-timeout", "1h", "--interval", "1h",
        ], stderrPath: log.path)
        defer { serve.stop(graceSeconds: 1) }
        func logText() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        #expect(await eventually(timeout: .seconds(30)) { logText().contains("no progress for 2s") }, "\(logText())")
        #expect(await eventually(timeout: .seconds(10)) { isListening(port: port) })
        // The next round's fetch hangs on the silent server again; SIGTERM must not wait for it.
        #expect(await eventually(timeout: .seconds(10)) { server.accepted >= 1 })
        kill(serve.pid, SIGTERM)
        let status = try serve.wait(timeout: 15)
        #expect(status == 0, "\(logText())")
    }

    // MARK: Item 4: sizes checked before reading

    @Test("a sparse 2 GiB file in a working tree is refused by its size, with peak RSS under 100 MiB")
    func sparseFile() async throws {
        let repo = try Self.repository()
        let huge = repo.url.appendingPathComponent("specs/jobs/huge.yaml")
        try FileManager.default.createDirectory(at: huge.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: huge.path, contents: nil)
        let handle = try FileHandle(forWritingTo: huge)
        try handle.truncate(atOffset: 2 << 30)
        try handle.close()
        let (result, kib) = try await Self.runMeasured(["validate", "--repo", repo.path, "--path", "specs"], in: repo.url)
        #expect(result.status != 0)
        #expect(result.stdout.contains("jobs/huge.yaml is 2147483648 bytes") || result.stderr.contains("jobs/huge.yaml is 2147483648 bytes"), "\(result)")
        #expect(kib < 100 * 1024, "peak RSS \(kib) KiB")
    }

    @Test("a commit with a large zero blob is refused from its header, with peak RSS under 100 MiB")
    func largeBlob() async throws {
        let repo = try Self.repository()
        let blob = repo.url.appendingPathComponent("specs/jobs/zeros.yaml")
        try FileManager.default.createDirectory(at: blob.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: blob.path, contents: nil)
        let handle = try FileHandle(forWritingTo: blob)
        try handle.truncate(atOffset: 256 << 20)
        try handle.close()
        try git(["add", "-A"], in: repo.url)
        try git(["-c", "user.name=t", "-c", "user.email=t@l", "commit", "-qm", "zeros"], in: repo.url)
        try FileManager.default.removeItem(at: blob)  // only the commit holds it now
        let (result, kib) = try await Self.runMeasured(["validate", "--repo", repo.path, "--revision", "main", "--path", "specs"], in: repo.url)
        #expect(result.status != 0)
        #expect((result.stdout + result.stderr).contains("jobs/zeros.yaml is 268435456 bytes"), "\(result)")
        #expect(kib < 100 * 1024, "peak RSS \(kib) KiB")
    }

    // MARK: Item 7: paths and symlinks

    @Test("--path cannot leave the repository, in a working tree or at a revision", arguments: [false, true])
    func pathEscape(revision: Bool) async throws {
        let repo = try Self.repository()
        let result = try await SluiceBinary.run(["validate", "--repo", repo.path, "--path", "../../.."] + (revision ? ["--revision", "main"] : []))
        #expect(result.status != 0)
        #expect(result.stderr.contains("leaves the repository root"), "\(result)")
    }

    @Test("symlinks and special files are skipped the same way in both modes, each reported, nothing blocks", arguments: [false, true])
    func symlinksAndSpecialFiles(revision: Bool) async throws {
        let repo = try Self.repository()
        let outside = try TemporaryDirectory(prefix: "sluice-outside")
        _ = try outside.write("secret.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leaked}\n")
        try FileManager.default.createSymbolicLink(atPath: repo.url.appendingPathComponent("specs/environments/link.yaml").path,
                                                   withDestinationPath: outside.url.appendingPathComponent("secret.yaml").path)
        try FileManager.default.createSymbolicLink(atPath: repo.url.appendingPathComponent("specs/environments/zero.yaml").path,
                                                   withDestinationPath: "/dev/zero")
        try git(["add", "-A"], in: repo.url)
        try git(["-c", "user.name=t", "-c", "user.email=t@l", "commit", "-qm", "links"], in: repo.url)
        #expect(mkfifo(repo.url.appendingPathComponent("specs/environments/pipe.yaml").path, 0o600) == 0)
        let result = try await SluiceBinary.run(["validate", "--repo", repo.path, "--path", "specs"] + (revision ? ["--revision", "main"] : []))
        #expect(result.status == 0, "\(result)")
        let output = result.stdout + result.stderr
        #expect(output.contains("environments/link.yaml") && output.contains("symbolic link"), "\(result)")
        #expect(output.contains("environments/zero.yaml"), "\(result)")
        if !revision { #expect(output.contains("environments/pipe.yaml") && output.contains("FIFO"), "\(result)") }
        #expect(!output.contains("leaked"))
    }

    // MARK: Item 10: numeric flags

    @Test("out-of-range and malformed durations and counts are refused before anything runs", arguments: [
        ["serve", "--interval", "0"], ["serve", "--interval", "-5"], ["serve", "--interval", "5x"], ["serve", "--resync-every", "0"],
        ["serve", "--max-connections", "0"], ["sync", "--health-timeout", "0s"], ["validate", "--git-timeout", "0"],
        ["validate", "--git-stall-timeout", "2h"], ["serve", "--listen", "127.0.0.1:99999"],
        ["sync", "--parallelism", "0"], ["serve", "--parallelism", "257"],
    ])
    func badFlags(arguments: [String]) async throws {
        let result = try await SluiceBinary.run(arguments + ["--repo", "/nonexistent"])
        #expect(result.status == 2, "\(result)")  // usage error (ExitStatus.usage)
        #expect(result.stderr.contains("out of range") || result.stderr.contains("duration") || result.stderr.contains("negative"), "\(result)")
    }

    @Test("--help states every numeric flag's bounds, and Kubernetes-style durations are accepted")
    func helpBounds() async throws {
        let help = try await SluiceBinary.run(["serve", "--help"])
        for text in ["1s to 24h", "1 to 10000", "1s to 10m", "1s to 1h"] {
            #expect(help.stdout.contains(text), "missing \(text) in:\n\(help.stdout)")
        }
        let repo = try Self.repository()
        let result = try await SluiceBinary.run(["validate", "--repo", repo.path, "--path", "specs", "--git-timeout", "1h30m", "--git-connect-timeout", "30"])
        #expect(result.status == 0, "\(result)")
    }
}
