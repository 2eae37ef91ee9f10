import Foundation
import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// The outcome of a finished child process.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// A child process could not start, failed or did not finish in time.
public struct SubprocessError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// A child process started by `Spawn` (its own process group, a clean signal mask): test runners
/// block most signals, and a child such as `git daemon` must still stop on SIGTERM and reap its
/// children.
public final class SpawnedProcess: @unchecked Sendable {
    public let pid: pid_t
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Starts `executable`; standard output and error go to the given files (or /dev/null).
    public init(
        _ executable: String, _ arguments: [String], cwd: URL? = nil, env: [String: String]? = nil,
        stdoutPath: String = "/dev/null", stderrPath: String = "/dev/null"
    ) throws {
        let environment = ProcessInfo.processInfo.environment.merging(env ?? [:]) { $1 }
        do {
            pid = try Spawn.start(executable, arguments, environment: environment, directory: cwd?.path,
                                  standardOutput: stdoutPath, standardError: stderrPath)
        } catch {
            throw SubprocessError(description: error.description)
        }
    }

    /// Whether the process is still running (reaps it when it has ended).
    public var isRunning: Bool { poll() == nil }

    /// The exit status once the process has ended (128 + signal number if a signal ended it).
    @discardableResult
    private func poll(blocking: Bool = false) -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let exitStatus { return exitStatus }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, blocking ? 0 : WNOHANG)
        guard result == pid else { return nil }
        let signal = raw & 0x7f
        exitStatus = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
        return exitStatus
    }

    /// Waits up to `timeout` seconds for the process to end; kills its process group when it does not.
    public func wait(timeout: TimeInterval) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        var pause: useconds_t = 500
        while Date() < deadline {
            if let status = poll() { return status }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
        stop(graceSeconds: 0)
        throw SubprocessError(description: "process \(pid) did not finish within \(timeout) s and was killed")
    }

    /// Ends the process and its group: SIGTERM, then SIGKILL after `graceSeconds`.
    public func stop(graceSeconds: TimeInterval = 2) {
        guard isRunning else { return }
        if graceSeconds > 0 {
            kill(-pid, SIGTERM)
            let deadline = Date().addingTimeInterval(graceSeconds)
            while Date() < deadline, isRunning { usleep(5_000) }
        }
        if isRunning {
            kill(-pid, SIGKILL)
            poll(blocking: true)
        }
    }

    deinit { stop(graceSeconds: 0) }
}

/// Runs `executable` with `arguments` to completion, bounded by `timeout` seconds, and returns its
/// exit status and output. A non-zero status is returned, not thrown; failing to start or a
/// timeout throws.
public func run(
    _ executable: String, _ arguments: [String] = [], cwd: URL? = nil,
    env: [String: String]? = nil, timeout: TimeInterval = 60
) throws -> ProcessResult {
    let outputs = FileManager.default.temporaryDirectory
        .appendingPathComponent("sluice-run-\(UUID().uuidString.prefix(12))")
    let stdoutPath = outputs.path + ".out", stderrPath = outputs.path + ".err"
    defer {
        try? FileManager.default.removeItem(atPath: stdoutPath)
        try? FileManager.default.removeItem(atPath: stderrPath)
    }
    let process = try SpawnedProcess(executable, arguments, cwd: cwd, env: env,
                                     stdoutPath: stdoutPath, stderrPath: stderrPath)
    let status = try process.wait(timeout: timeout)
    let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
    return ProcessResult(status: status, stdout: read(stdoutPath), stderr: read(stderrPath))
}

/// Like `run`, but throws when the exit status is not zero (when `check` is true).
@discardableResult
public func runProcess(
    _ executable: String, _ arguments: [String], in directory: URL? = nil,
    environment: [String: String]? = nil, timeout: TimeInterval = 60, check: Bool = true
) throws -> ProcessResult {
    let result = try run(executable, arguments, cwd: directory, env: environment, timeout: timeout)
    if check, result.status != 0 {
        throw SubprocessError(description: "\(executable) \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
    }
    return result
}

/// Runs the `git` command line (the real one) with a fixed identity and default branch `main`.
@discardableResult
public func git(_ arguments: [String], in directory: URL, check: Bool = true) throws -> String {
    try runProcess("/usr/bin/git", ["-c", "user.name=Sluice Test", "-c", "user.email=test@localhost",
                                    "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"] + arguments,
                   in: directory, environment: ["GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"],
                   check: check).stdout
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
public func freePort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SubprocessError(description: "socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { ptr -> Bool in
            bind(fd, ptr, length) == 0 && getsockname(fd, ptr, &length) == 0
        }
    }
    guard bound else { throw SubprocessError(description: "cannot bind 127.0.0.1:0") }
    return UInt16(bigEndian: address.sin_port)
}

/// A TCP port on 127.0.0.1 that refuses connections for as long as this value is open: it is bound
/// but never listens, so no other test can take it (as one did to a port `freePort` had given,
/// which then answered a "connection refused" test with an empty reply).
public final class RefusingPort: @unchecked Sendable {
    public let port: UInt16
    private var descriptor: Int32

    public init() throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SubprocessError(description: "socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = descriptor
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else {
            Glibc.close(fd)
            throw SubprocessError(description: "cannot bind 127.0.0.1:0")
        }
        port = UInt16(bigEndian: address.sin_port)
    }

    /// Frees the port; call it (usually in a `defer`) once the test is done with it.
    public func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    deinit { close() }
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
public func isListening(port: UInt16) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = port.bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}

/// Starts a server with `start(port)` on a free port and waits until it accepts connections;
/// retries on another port when the chosen one was taken in between.
func startListening(_ what: String, attempts: Int = 5, start: (UInt16) throws -> SpawnedProcess) throws -> (SpawnedProcess, UInt16) {
    var lastError: Error = SubprocessError(description: "\(what) did not start")
    for _ in 0..<attempts {
        let port = try freePort()
        let process: SpawnedProcess
        do { process = try start(port) } catch { lastError = error; continue }
        let deadline = Date().addingTimeInterval(10)
        var pause: useconds_t = 2_000
        while Date() < deadline, process.isRunning, !isListening(port: port) {
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
        if process.isRunning, isListening(port: port) { return (process, port) }
        process.stop()
        lastError = SubprocessError(description: "\(what) did not listen on 127.0.0.1:\(port)")
    }
    throw lastError
}
