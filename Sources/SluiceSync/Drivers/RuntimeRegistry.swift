import Foundation
import SluiceRuntime

/// The embedded runtimes of a long-running Sluice (`sluice serve`), one per cluster, kept across
/// sync rounds so their supervisors keep watching the processes.
public final class RuntimeRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var runtimes: [String: FlinkRuntime] = [:]

    public init() {}

    /// The runtime of `cluster`, made on first use.
    public func runtime(for cluster: String, make: () throws -> FlinkRuntime) rethrows -> FlinkRuntime {
        try lock.withLock {
            if let existing = runtimes[cluster] { return existing }
            let made = try make()
            runtimes[cluster] = made
            return made
        }
    }

    public var all: [FlinkRuntime] { lock.withLock { Array(runtimes.values) } }
}
