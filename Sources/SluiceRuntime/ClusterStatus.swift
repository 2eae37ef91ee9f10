#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where a running cluster's JobManager answers.
public struct ClusterEndpoint: Sendable, Codable, Equatable {
    /// The REST API, e.g. `http://127.0.0.1:38211`.
    public var restURL: URL
    /// `rest.port`.
    public var restPort: Int
    /// `jobmanager.rpc.port`.
    public var rpcPort: Int
}

/// The life stage of one deployment's processes.
public enum ClusterPhase: String, Sendable, Codable {
    /// Started; the JobManager has not yet reported every TaskManager.
    case starting
    /// All processes run and the TaskManagers are registered.
    case running
    /// A process exited and is being restarted (or has been and is not registered yet).
    case restarting
    /// A process exited too often; the runtime stopped restarting it. See `reason`.
    case degraded
    /// Stopped by `stop` (or never started).
    case stopped
}

/// One supervised process as `status()` shows it.
public struct ProcessStatus: Sendable, Codable, Equatable {
    /// JobManager or TaskManager.
    public var role: ProcessRole
    /// 1-based; the JobManager is 1.
    public var index: Int
    /// The pid (and process group) while it runs; nil while it waits for a restart.
    public var pid: Int32?
    /// When this process was started; a JobManager started after the job was submitted means the job
    /// is gone and must be submitted again (from `latestCheckpoint`).
    public var startedAt: Date?
    /// Captured stdout/stderr.
    public var logPath: String
}

/// What the runtime knows about one deployment.
public struct ClusterStatus: Sendable, Codable, Equatable {
    /// The deployment key (`FlinkProcessPlan.name`).
    public var name: String
    /// Where the deployment's processes are in their life.
    public var phase: ClusterPhase
    /// Why the phase is not `running` (the last exit, the degraded cause), if it is not.
    public var reason: String?
    /// Restarts since the deployment was started by this or an earlier runtime.
    public var restartCount: Int
    /// The JobManager and every TaskManager of the plan (empty once stopped).
    public var processes: [ProcessStatus]
    /// The JobManager's REST API (nil once stopped).
    public var restURL: URL?
    /// The plan's total memory (JobManager + TaskManagers).
    public var memoryMiB: Int
    /// The job the runtime follows (recorded by the driver, or the newest running job).
    public var jobID: String?
    /// The latest completed checkpoint seen for that job.
    public var latestCheckpoint: String?
}
