#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// Which Flink process: the JobManager (index 1) or TaskManager `index` (1-based).
struct ProcessKey: Hashable, Codable, Sendable, CustomStringConvertible {
    var role: ProcessRole
    var index: Int

    static let jobManager = ProcessKey(role: .jobManager, index: 1)

    var description: String { role == .jobManager ? "JobManager" : "TaskManager \(index)" }
    var fileStem: String { "\(role.rawValue)-\(index)" }
}

/// The two kinds of Flink process the runtime starts.
public enum ProcessRole: String, Codable, Sendable {
    case jobManager = "jobmanager"
    case taskManager = "taskmanager"
}

/// A started process: its pid (also its process group) and start time, which together identify it.
struct ProcessRecord: Codable, Sendable, Equatable {
    var key: ProcessKey
    var pid: Int32
    var startTime: UInt64
    var startedAt: Date
    /// A TaskManager's `taskmanager.resource-id`, unique per start, so readiness can tell the new
    /// TaskManager from a killed one the JobManager still lists until its heartbeat times out.
    var resourceID: String?
    /// Whether the process was started with the class-data archives (`ClassDataArchives`).
    var classDataSharing: Bool?
}

/// One exit of a supervised process.
struct ExitRecord: Codable, Sendable, Equatable {
    var key: ProcessKey
    var date: Date
    var status: String
}

/// What `state.json` holds for one deployment; enough for a new runtime to adopt or restart it.
struct ClusterState: Codable, Sendable {
    var plan: FlinkProcessPlan
    var restPort: Int
    var rpcPort: Int
    var processes: [ProcessRecord]
    var latestCheckpoint: String?
    var jobID: String?
    var exits: [ExitRecord] = []
    var restartCount = 0
    /// False after `stop`: a new runtime leaves the deployment stopped.
    var desiredRunning = true
    var degradedReason: String?

    /// Reads `file`; nil when it does not exist.
    static func load(_ file: URL) throws -> ClusterState? {
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(ClusterState.self, from: Data(contentsOf: file))
        } catch {
            throw RuntimeError(.state, "cannot read the runtime state \(file.path): \(error)",
                               hint: "move the file away to make the runtime forget this deployment (its processes are not stopped)")
        }
    }

    /// Writes `file` atomically: a temporary file beside it, flushed, then renamed over it.
    func save(_ file: URL) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        let temporary = file.deletingLastPathComponent().appendingPathComponent(".state.json.\(UUID().uuidString.prefix(8))")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data) else {
            throw RuntimeError(.state, "cannot write \(temporary.path)", hint: "check free space and permissions of the state directory")
        }
        FileBytes.synchronize(temporary.path)
        guard rename(temporary.path, file.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw RuntimeError(.state, "cannot replace \(file.path): \(reason)")
        }
    }
}
