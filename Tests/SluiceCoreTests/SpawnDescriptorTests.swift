import Foundation
import SluiceCore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A spawned child (a Flink JVM) outlives the Sluice that started it: it must not keep a socket
/// or a lock of its parent, or a new `sluice serve` cannot bind its port (issue 12, item 5).
@Suite("Spawn: no inherited descriptors")
struct SpawnDescriptorTests {
    /// A listening socket opened *without* close-on-exec, as a server library may do.
    static func listeningSocket() throws -> (descriptor: Int32, port: UInt16) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0)
        try #require(listen(descriptor, 4) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return (descriptor, UInt16(bigEndian: address.sin_port))
    }

    @Test("a child holds no socket of the parent, only stdin, stdout and stderr")
    func noInheritedSocket() async throws {
        let (descriptor, _) = try Self.listeningSocket()
        defer { close(descriptor) }
        #expect(fcntl(descriptor, F_GETFD) & FD_CLOEXEC == 0, "the test needs a descriptor that is not close-on-exec")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-spawn-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("fds.txt").path
        // The child lists its own descriptors with their targets.
        let pid = try Spawn.start("/bin/sh", ["-c", "for f in /proc/$$/fd/*; do echo \"${f##*/} $(readlink $f)\"; done"],
                                  environment: ["PATH": "/usr/bin:/bin"], standardOutput: output)
        var status: Int32 = 0
        let deadline = ContinuousClock.now + .seconds(10)
        while waitpid(pid, &status, WNOHANG) == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        let sockets = lines.filter { $0.contains("socket:") }
        #expect(sockets.isEmpty, "the child inherited \(sockets)")
        let numbers = Set(lines.compactMap { Int($0.split(separator: " ").first ?? "") })
        // 0-2 plus the descriptor the shell's glob reads the directory with.
        #expect(numbers.subtracting([0, 1, 2]).count <= 1, "\(lines)")
    }

    @Test("a cluster lock is held across processes, names its holder, and goes with the process")
    func lockAcrossProcesses() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-lock-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("locks/local.lock")
        let lock = try await ClusterLock.acquire(file, cluster: "local", command: "sluice serve")
        #expect(ClusterLock.holder(of: file)?.pid == getpid())
        // flock(1) in another process cannot take it while we hold it...
        let probe = directory.appendingPathComponent("probe.txt").path
        func otherProcessCanLock() async throws -> Bool {
            let pid = try Spawn.start("/usr/bin/flock", ["-n", file.path, "true"], environment: [:], standardOutput: probe)
            var status: Int32 = 0
            let deadline = ContinuousClock.now + .seconds(10)
            while waitpid(pid, &status, WNOHANG) == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            return (status >> 8) & 0xff == 0
        }
        #expect(try await !otherProcessCanLock())
        // ...and the error another Sluice gets names the holder and points at serve's API.
        let error = ClusterLockError(cluster: "local", file: file, holder: ClusterLock.holder(of: file))
        #expect(error.message.contains("pid \(getpid())") && error.message.contains("sluice serve"), "\(error)")
        #expect(error.hint?.contains("/api/v1/sync") == true)
        lock.release()
        #expect(try await otherProcessCanLock())
    }
}
