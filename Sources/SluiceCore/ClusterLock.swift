#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// One Sluice process at a time per cluster, across processes on this host: an `flock` on a file
/// in the state directory that holds the cluster's local state (the runtime's state directory, or
/// Sluice's for a Flink session cluster), with the holder (pid, host, command) written inside.
///
/// A process keeps a lock it took until it exits; the kernel releases it then, even after a
/// SIGKILL, so a crashed Sluice never leaves a cluster locked. The descriptor is close-on-exec:
/// a spawned Flink process must not inherit, and so keep, the lock.
public final class ClusterLock: @unchecked Sendable {
    /// Who holds a lock.
    public struct Holder: Codable, Sendable, Equatable, CustomStringConvertible {
        public var pid: Int32
        public var host: String
        public var command: String
        public var since: Date

        public init(pid: Int32, host: String, command: String, since: Date) {
            self.pid = pid
            self.host = host
            self.command = command
            self.since = since
        }

        /// This process, running `command`.
        public static func current(_ command: String) -> Holder {
            Holder(pid: getpid(), host: ProcessInfo.processInfo.hostName, command: command, since: Date())
        }

        /// Whether the holder is a long-running `sluice serve`, which takes syncs over `POST /sync`.
        public var isServe: Bool { command.split(separator: " ").contains("serve") }

        public var description: String {
            "\(command) (pid \(pid) on \(host), since \(Date.ISO8601FormatStyle().format(since)))"
        }
    }

    /// This process's command for a holder record: `sluice` and its subcommand words, never an
    /// option or its value (which may be a secret).
    public static var processCommand: String {
        let words = CommandLine.arguments.dropFirst().prefix { !$0.hasPrefix("-") }.prefix(2)
        return (["sluice"] + words).joined(separator: " ")
    }

    public let file: URL
    public let holder: Holder
    private let descriptor: Int32

    /// The locks this process holds, by file.
    private static let held = Mutex<[String: ClusterLock]>([:])

    private init(file: URL, holder: Holder, descriptor: Int32) {
        self.file = file
        self.holder = holder
        self.descriptor = descriptor
    }

    /// Takes the lock of `cluster` in `file`, waiting up to `wait` for another process to let go.
    /// Taking a lock this process already holds returns it at once.
    public static func acquire(_ file: URL, cluster: String, command: String, wait: Duration = .zero) async throws -> ClusterLock {
        if let mine = held.withLock({ $0[file.path] }) { return mine }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let deadline = ContinuousClock.now + wait
        while true {
            if let lock = try held.withLock({ held in try tryLock(file, command: command, held: &held) }) { return lock }
            guard ContinuousClock.now < deadline else {
                throw ClusterLockError(cluster: cluster, file: file, holder: holder(of: file))
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Takes the lock if no other process holds it, recording it in `held` (locked by the caller).
    private static func tryLock(_ file: URL, command: String, held: inout [String: ClusterLock]) throws -> ClusterLock? {
        if let mine = held[file.path] { return mine }
        let descriptor = open(file.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ClusterLockError(cluster: nil, file: file, holder: nil, reason: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        let holder = Holder.current(command)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        if let data = try? encoder.encode(holder) {
            _ = ftruncate(descriptor, 0)
            _ = data.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        }
        let lock = ClusterLock(file: file, holder: holder, descriptor: descriptor)
        held[file.path] = lock
        return lock
    }

    /// The holder written in a lock file, if it can be read (bounded: a holder is a few hundred bytes).
    public static func holder(of file: URL) -> Holder? {
        guard let data = try? FileBytes.read(file.path, limit: 4096) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(Holder.self, from: data)
    }

    /// Whether this process holds the lock in `file`.
    public static func isHeld(_ file: URL) -> Bool { held.withLock { $0[file.path] != nil } }

    /// Lets go of the lock (tests and services that hand a cluster over).
    public func release() {
        Self.held.withLock { held in
            guard held[file.path] === self else { return }
            held[file.path] = nil
            flock(descriptor, LOCK_UN)
            close(descriptor)
        }
    }
}

/// Another process holds a cluster's lock.
public struct ClusterLockError: SluiceError {
    public var cluster: String?
    public var file: URL
    public var holder: ClusterLock.Holder?
    public var reason: String?

    public init(cluster: String?, file: URL, holder: ClusterLock.Holder?, reason: String? = nil) {
        self.cluster = cluster
        self.file = file
        self.holder = holder
        self.reason = reason
    }

    public var message: String {
        let subject = cluster.map { "cluster \($0)" } ?? "the lock \(file.path)"
        if let reason { return "cannot open the lock of \(subject) at \(file.path): \(reason)" }
        return "\(subject) is being changed by another Sluice process: \(holder?.description ?? "holder unknown") holds \(file.path)"
    }

    public var hint: String? {
        if reason != nil { return "check that the state directory is writable" }
        if holder?.isServe == true {
            return "this cluster is managed by `sluice serve`; ask it to sync with `curl -X POST http://<serve address>/api/v1/sync` instead of running sync by hand"
        }
        return "wait until it has finished and run again; two processes changing one cluster at once can rewind a job's state"
    }
}
