#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `GET /overview`: the session cluster as a whole.
public struct ClusterOverview: Decodable, Sendable {
    public var taskManagers: Int
    public var slotsTotal: Int
    public var slotsAvailable: Int
    public var jobsRunning: Int
    public var flinkVersion: String

    enum CodingKeys: String, CodingKey {
        case taskManagers = "taskmanagers", slotsTotal = "slots-total", slotsAvailable = "slots-available"
        case jobsRunning = "jobs-running", flinkVersion = "flink-version"
    }
}

/// One entry of `GET /jobmanager/config`.
struct ConfigurationEntry: Decodable {
    var key: String
    var value: String
}

/// The states a Flink job goes through (`JobStatus` in Flink).
public enum JobState: String, Decodable, Sendable, Hashable {
    case initializing = "INITIALIZING", created = "CREATED", running = "RUNNING", failing = "FAILING"
    case failed = "FAILED", cancelling = "CANCELLING", canceled = "CANCELED", finished = "FINISHED"
    case restarting = "RESTARTING", suspended = "SUSPENDED", reconciling = "RECONCILING"

    /// The job will not run again by itself.
    public var isTerminal: Bool { [.failed, .canceled, .finished].contains(self) }
}

/// One row of `GET /jobs/overview`.
public struct JobSummary: Decodable, Sendable {
    public var id: String
    public var name: String
    public var state: JobState
    /// Milliseconds since the epoch.
    public var startTime: Int64
    public var endTime: Int64
    /// Subtasks by execution state (`total`, `running`, `finished`, ...), when Flink reports them.
    public var tasks: TaskCounts?

    enum CodingKeys: String, CodingKey { case id = "jid", name, state, startTime = "start-time", endTime = "end-time", tasks }

    public init(id: String, name: String, state: JobState, startTime: Int64, endTime: Int64, tasks: TaskCounts? = nil) {
        self.id = id
        self.name = name
        self.state = state
        self.startTime = startTime
        self.endTime = endTime
        self.tasks = tasks
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        state = try container.decode(JobState.self, forKey: .state)
        startTime = try container.decode(Int64.self, forKey: .startTime)
        endTime = try container.decode(Int64.self, forKey: .endTime)
        // Optional detail: a shape this version does not expect must not hide the job list.
        tasks = (try? container.decodeIfPresent([String: Int].self, forKey: .tasks)).flatMap { $0.map(TaskCounts.init) }
    }
}

struct JobsOverview: Decodable { var jobs: [JobSummary] }

/// `GET /jobs/<id>`: a job with its vertices.
public struct JobDetails: Decodable, Sendable {
    public struct Vertex: Decodable, Sendable {
        public var id: String
        public var name: String
        public var parallelism: Int
        public var status: String
    }

    public var id: String
    public var name: String
    public var state: JobState
    public var startTime: Int64
    public var vertices: [Vertex]

    /// The job's parallelism as the highest of its vertices'.
    public var parallelism: Int { vertices.map(\.parallelism).max() ?? 0 }

    enum CodingKeys: String, CodingKey { case id = "jid", name, state, startTime = "start-time", vertices }
}

/// `GET /jobs/<id>/checkpoints`, the parts Sluice reads.
public struct CheckpointStatistics: Decodable, Sendable {
    public struct Completed: Decodable, Sendable {
        public var id: Int64
        public var isSavepoint: Bool
        /// Milliseconds since the epoch.
        public var triggerTimestamp: Int64
        public var externalPath: String?
        /// When the last task acknowledged it: the checkpoint is complete from then on.
        public var latestAckTimestamp: Int64?

        enum CodingKeys: String, CodingKey {
            case id, isSavepoint = "is_savepoint", triggerTimestamp = "trigger_timestamp", externalPath = "external_path"
            case latestAckTimestamp = "latest_ack_timestamp"
        }
    }

    public struct Restored: Decodable, Sendable {
        public var id: Int64
        public var isSavepoint: Bool
        public var externalPath: String?

        enum CodingKeys: String, CodingKey { case id, isSavepoint = "is_savepoint", externalPath = "external_path" }
    }

    struct Latest: Decodable {
        var completed: Completed?
        var savepoint: Completed?
        var restored: Restored?
    }

    var latest: Latest?

    /// The newest completed checkpoint (not savepoint).
    public var latestCompleted: Completed? { latest?.completed }
    /// The newest completed savepoint.
    public var latestSavepoint: Completed? { latest?.savepoint }
    /// What the job restored from when it started, if anything.
    public var restored: Restored? { latest?.restored }
}

/// How a savepoint or stop-with-savepoint operation is going.
public enum SavepointStatus: Sendable, Equatable {
    case inProgress
    case completed(location: String)
    case failed(reason: String)
}

struct AsyncOperationResponse: Decodable {
    struct Status: Decodable { var id: String }
    struct Operation: Decodable {
        var location: String?
        var failureCause: FailureCause?
        enum CodingKeys: String, CodingKey { case location, failureCause = "failure-cause" }
    }
    struct FailureCause: Decodable {
        var stackTrace: String?
        enum CodingKeys: String, CodingKey { case stackTrace = "stack-trace" }
    }
    var status: Status
    var operation: Operation?
}

struct TriggerResponse: Decodable {
    var requestID: String
    enum CodingKeys: String, CodingKey { case requestID = "request-id" }
}

/// One uploaded jar (`GET /jars`).
public struct UploadedJar: Decodable, Sendable {
    /// The id to run it by: `<uuid>_<file name>`.
    public var id: String
    /// The file name it was uploaded with.
    public var name: String
}

struct JarList: Decodable { var files: [UploadedJar] }

struct JarUploadResponse: Decodable {
    var filename: String
    var status: String
}

struct JarRunResponse: Decodable {
    var jobID: String
    enum CodingKeys: String, CodingKey { case jobID = "jobid" }
}

/// What `POST /jars/<id>/run` submits.
public struct JarRunRequest: Encodable, Sendable {
    /// How a restored savepoint's files are owned afterwards (`execution.state-recovery.claim-mode`).
    public enum ClaimMode: String, Encodable, Sendable { case claim = "CLAIM", noClaim = "NO_CLAIM" }

    public var jobID: String
    public var entryClass: String?
    public var programArgs: [String]
    public var parallelism: Int?
    public var savepointPath: String?
    public var allowNonRestoredState: Bool
    public var claimMode: ClaimMode
    public var flinkConfiguration: [String: String]

    public init(jobID: String, entryClass: String? = nil, programArgs: [String] = [], parallelism: Int? = nil,
                savepointPath: String? = nil, allowNonRestoredState: Bool = false, claimMode: ClaimMode = .noClaim,
                flinkConfiguration: [String: String] = [:]) {
        self.jobID = jobID
        self.entryClass = entryClass
        self.programArgs = programArgs
        self.parallelism = parallelism
        self.savepointPath = savepointPath
        self.allowNonRestoredState = allowNonRestoredState
        self.claimMode = claimMode
        self.flinkConfiguration = flinkConfiguration
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "jobId", entryClass, programArgs = "programArgsList", parallelism, savepointPath
        case allowNonRestoredState, claimMode, flinkConfiguration
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(jobID, forKey: .jobID)
        try c.encodeIfPresent(entryClass, forKey: .entryClass)
        try c.encode(programArgs, forKey: .programArgs)
        try c.encodeIfPresent(parallelism, forKey: .parallelism)
        try c.encodeIfPresent(savepointPath, forKey: .savepointPath)
        try c.encode(allowNonRestoredState, forKey: .allowNonRestoredState)
        if savepointPath != nil { try c.encode(claimMode, forKey: .claimMode) }
        if !flinkConfiguration.isEmpty { try c.encode(flinkConfiguration, forKey: .flinkConfiguration) }
    }
}

/// `GET|PUT /jobs/<id>/resource-requirements` (Flink 1.18+, adaptive scheduler): each vertex's
/// parallelism bounds, by vertex id.
public struct VertexParallelism: Codable, Sendable, Equatable {
    public var lowerBound: Int
    public var upperBound: Int

    public init(lowerBound: Int, upperBound: Int) {
        self.lowerBound = lowerBound
        self.upperBound = upperBound
    }
}

struct VertexResourceRequirements: Codable, Sendable {
    var parallelism: VertexParallelism
}
