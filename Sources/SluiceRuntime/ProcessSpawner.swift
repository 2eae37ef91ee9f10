#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import SluiceCore

/// Starts the runtime's Flink processes (see `Spawn`): output is appended to the process's log
/// file, so a child keeps writing after the runtime truncates the file on rotation, and can
/// outlive the runtime.
enum ProcessSpawner {
    /// Spawns `executable` with `arguments`; returns the pid (also the process group id).
    static func spawn(_ executable: String, _ arguments: [String], environment: [String: String], outputPath: String) throws -> pid_t {
        do {
            return try Spawn.start(executable, arguments, environment: environment, standardOutput: outputPath, append: true)
        } catch {
            throw RuntimeError(.startFailed, String(describing: error),
                               hint: "check that the Flink distribution's scripts exist and are executable")
        }
    }
}
