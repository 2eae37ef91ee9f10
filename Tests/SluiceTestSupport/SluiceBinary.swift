import Foundation
import SluiceCore

/// Runs the `sluice` executable built beside the test bundle, as a user would.
public enum SluiceBinary {
    /// How a run ended.
    public struct Result: CustomStringConvertible, Sendable {
        public var status: Int32
        /// The signal that killed it, if one did.
        public var signal: Int32?
        public var stdout: String
        public var stderr: String

        public var description: String {
            "status \(status), signal \(signal.map(String.init) ?? "none")\nstdout: \(stdout.suffix(2000))\nstderr: \(stderr.suffix(2000))"
        }
    }

    /// `$SLUICE_BINARY`, or the `sluice` product in the same build folder as this test bundle.
    public static var url: URL {
        if let path = ProcessInfo.processInfo.environment["SLUICE_BINARY"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sluice")
    }

    /// The repository the tests live in.
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Runs `sluice` with `arguments` and waits for it on a thread of its own (a long `sluice check`
    /// must not hold one of the cooperative pool's few threads while other tests run).
    public static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) async throws -> Result {
        try await runExecutable(url.path, arguments, in: directory, environment: environment)
    }

    /// Runs another executable the same way (e.g. `/usr/bin/time` wrapping `sluice`).
    public static func runExecutable(_ path: String, _ arguments: [String], in directory: URL? = nil,
                                     environment: [String: String] = [:]) async throws -> Result {
        let executable = URL(fileURLWithPath: path), directory = directory ?? repositoryRoot
        let environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        return try await onDedicatedThread("sluice-binary") {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            process.currentDirectoryURL = directory
            process.environment = environment
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            // Both pipes are drained at once, so a large output on either cannot fill its pipe and block the child.
            let errors = ErrorDrain(err.fileHandleForReading)
            let stdout = out.fileHandleForReading.readDataToEndOfFile()
            let stderr = errors.wait()
            process.waitUntilExit()
            let killed = process.terminationReason == .uncaughtSignal
            return Result(status: process.terminationStatus, signal: killed ? process.terminationStatus : nil,
                          stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
        }
    }

    /// Reads a pipe to its end on a thread of its own.
    private final class ErrorDrain: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var data = Data()

        init(_ handle: FileHandle) {
            Thread { [self] in
                data = handle.readDataToEndOfFile()
                done.signal()
            }.start()
        }

        func wait() -> Data {
            done.wait()
            return data
        }
    }
}
