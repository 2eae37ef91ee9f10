import Foundation

/// Something about the Flink test environment is missing or misbehaved (no Java, the install script
/// failed, the cluster did not start, a REST call failed). The description says what to do.
public struct FlinkTestError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Finds the Flink distribution and the test job jar that `scripts/install-flink.sh` provides.
public enum FlinkInstallation {
    /// Whether a `java` command is on PATH; Flink tests are skipped without it.
    public static let javaAvailable: Bool = {
        (try? run("/bin/sh", ["-c", "command -v java"], timeout: 10).status) == 0
    }()

    /// Whether the Flink tests should run: Java is there and `SLUICE_SKIP_FLINK_TESTS` is not set.
    public static var testsEnabled: Bool {
        javaAvailable && ProcessInfo.processInfo.environment["SLUICE_SKIP_FLINK_TESTS"] == nil
    }

    /// The repository root, found from this file's location (symlinks resolved, so it also works
    /// from a development package that links to the sources).
    public static func repositoryRoot(file: String = #filePath) throws -> URL {
        var directory = URL(fileURLWithPath: file).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("scripts/install-flink.sh").path) {
                return directory
            }
            directory.deleteLastPathComponent()
        }
        throw FlinkTestError("cannot find scripts/install-flink.sh above \(file)")
    }

    /// The cache the install script uses: `$SLUICE_CACHE`, else `~/.cache/sluice`.
    public static var cacheDirectory: URL {
        if let cache = ProcessInfo.processInfo.environment["SLUICE_CACHE"], !cache.isEmpty {
            return URL(fileURLWithPath: cache, isDirectory: true)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/sluice", isDirectory: true)
    }

    /// `FLINK_HOME` from the environment when it holds a Flink distribution, else the one the
    /// install script provides (installing it on first use, which downloads about 330 MB).
    public static func flinkHome() throws -> URL {
        if let home = ProcessInfo.processInfo.environment["FLINK_HOME"], !home.isEmpty,
           FileManager.default.isExecutableFile(atPath: home + "/bin/jobmanager.sh") {
            return URL(fileURLWithPath: home, isDirectory: true)
        }
        return try runInstallScript()
    }

    /// The test job jar (`Tests/Fixtures/flink-job`), built by the install script when its sources
    /// are newer than the jar.
    public static func testJobJar() throws -> URL {
        _ = try runInstallScript()
        let jar = cacheDirectory.appendingPathComponent("flink-test-job/sluice-test-job.jar")
        guard FileManager.default.fileExists(atPath: jar.path) else {
            throw FlinkTestError("scripts/install-flink.sh did not build \(jar.path)")
        }
        return jar
    }

    /// Runs the idempotent install script and returns FLINK_HOME, its last line of output.
    private static func runInstallScript() throws -> URL {
        let script = try repositoryRoot().appendingPathComponent("scripts/install-flink.sh")
        // A first install downloads Flink; later runs take well under a second.
        let result = try run("/bin/bash", [script.path], timeout: 1200)
        let lastLine = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        guard result.status == 0, !lastLine.isEmpty else {
            throw FlinkTestError("\(script.path) exited \(result.status): \(result.stderr.suffix(2000))")
        }
        return URL(fileURLWithPath: lastLine, isDirectory: true)
    }
}
