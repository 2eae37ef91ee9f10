import Foundation

/// How a `sluice` run ended.
struct SluiceRun: CustomStringConvertible {
    var status: Int32
    /// The signal that killed it, if one did.
    var signal: Int32?
    var stdout: String
    var stderr: String

    var description: String { "status \(status), signal \(signal.map(String.init) ?? "none")\nstdout: \(stdout.suffix(2000))\nstderr: \(stderr.suffix(2000))" }
}

/// Runs the `sluice` executable built beside the test bundle (or `$SLUICE_BINARY`).
func runSluice(_ arguments: [String], environment: [String: String] = [:]) throws -> SluiceRun {
    let process = Process()
    process.executableURL = ProcessInfo.processInfo.environment["SLUICE_BINARY"].map(URL.init(fileURLWithPath:))
        ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sluice")
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let killed = process.terminationReason == .uncaughtSignal
    return SluiceRun(status: process.terminationStatus, signal: killed ? process.terminationStatus : nil,
                     stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
}
