import Foundation

/// A real `git daemon` serving every repository under a temporary base path on 127.0.0.1 (a free
/// port), stopped when the value is released.
public final class GitDaemon: @unchecked Sendable {
    /// The folder whose repositories the daemon serves (`git://127.0.0.1:<port>/<name>`).
    public let base: TemporaryDirectory
    public let port: UInt16
    private let process: SpawnedProcess

    public init() throws {
        let base = try TemporaryDirectory(prefix: "sluice-daemon")
        (process, port) = try startListening("git daemon") { port in
            try SpawnedProcess("/usr/lib/git-core/git-daemon", [
                "--listen=127.0.0.1", "--port=\(port)", "--base-path=\(base.path)",
                "--export-all", "--reuseaddr", "--enable=receive-pack", base.path,
            ])
        }
        self.base = base
    }

    /// `git://127.0.0.1:<port>/<name>`.
    public func url(_ name: String) -> String { "git://127.0.0.1:\(port)/\(name)" }

    /// Creates an empty bare repository `name` served by the daemon and returns its path.
    @discardableResult
    public func createBareRepository(_ name: String) throws -> URL {
        try makeBareRepository(base.url.appendingPathComponent(name))
    }

    /// Stops the daemon now (it is also stopped when released).
    public func stop() { process.stop() }

    deinit { process.stop() }
}

/// Creates an empty bare repository at `path`.
@discardableResult
public func makeBareRepository(_ path: URL) throws -> URL {
    try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
    try git(["init", "-q", "--bare"], in: path)
    return path
}
