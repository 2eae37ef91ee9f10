import Foundation

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

    public static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? repositoryRoot
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting, so a large output cannot fill the pipe and block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let killed = process.terminationReason == .uncaughtSignal
        return Result(status: process.terminationStatus, signal: killed ? process.terminationStatus : nil,
                      stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }
}
