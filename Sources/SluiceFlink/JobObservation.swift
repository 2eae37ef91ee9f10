#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore
import SluiceSpec

/// What a cluster says about the job of one object at one moment, for the status API: more than
/// health (its restarts, its newest checkpoint and savepoint). Every field is what Flink
/// reported; one Flink did not report is nil.
public struct JobObservation: Sendable, Equatable {
    public var jobID: String?
    /// Flink's job state name (`RUNNING`, `RESTARTING`, ...).
    public var state: String?
    /// The running job's `numRestarts` metric.
    public var restarts: Int?
    public var lastCheckpoint: Checkpoint?
    /// The newest savepoint in the job's checkpoint statistics.
    public var lastSavepoint: Savepoint?
    public var observedAt: Date

    public struct Checkpoint: Sendable, Equatable {
        public var id: Int64
        public var completedAt: Date

        public init(id: Int64, completedAt: Date) {
            self.id = id
            self.completedAt = completedAt
        }
    }

    public struct Savepoint: Sendable, Equatable {
        public var path: String
        /// When it completed; for source `operator`, when the operator triggered it (all it records).
        public var completedAt: Date?
        /// Who reported it, when not Flink's checkpoint statistics: `operator` (the Flink
        /// Kubernetes Operator's status of the object) or `snapshot` (its FlinkStateSnapshot resources).
        public var source: String?

        public init(path: String, completedAt: Date?, source: String? = nil) {
            self.path = path
            self.completedAt = completedAt
            self.source = source
        }
    }

    public init(jobID: String? = nil, state: String? = nil, restarts: Int? = nil, lastCheckpoint: Checkpoint? = nil,
                lastSavepoint: Savepoint? = nil, observedAt: Date = Date()) {
        self.jobID = jobID
        self.state = state
        self.restarts = restarts
        self.lastCheckpoint = lastCheckpoint
        self.lastSavepoint = lastSavepoint
        self.observedAt = observedAt
    }
}

extension JobReconciler {
    /// The jobs of `identities` as this JobManager reports them: one job list for all, and for
    /// each running job its checkpoint statistics and restart count. An object with no job on the
    /// cluster gets an observation with only the time (its job is known not to run).
    public func observe(_ identities: [ObjectIdentity]) async throws -> [ObjectIdentity: JobObservation] {
        let client = lifecycle.client
        let jobs = try await client.jobs().sorted { $0.startTime > $1.startTime }
        var observed: [ObjectIdentity: JobObservation] = [:]
        for identity in identities {
            let owner = owner(identity)
            let own = jobs.filter { owner.owns($0.id) }
            guard let job = own.first(where: { !$0.state.isTerminal }) ?? own.first else {
                observed[identity] = JobObservation(jobID: store[identity]?.jobID)
                continue
            }
            var observation = JobObservation(jobID: job.id, state: job.state.rawValue)
            if !job.state.isTerminal {
                _ = await observation.addRunningJobFacts(from: client, jobID: job.id)
            }
            observed[identity] = observation
        }
        return observed
    }
}

extension JobObservation {
    /// Adds what the JobManager says of a running job: its newest completed checkpoint and newest
    /// savepoint (`GET /jobs/<id>/checkpoints`) and its restart count (the `numRestarts` metric).
    /// One failing call leaves its fields unknown; it does not hide the rest. Returns the failures,
    /// in order; after a failure `proceed` refuses, nothing more is asked.
    public mutating func addRunningJobFacts(from client: FlinkClient, jobID: String,
                                            proceed: (any Error) -> Bool = { _ in true }) async -> [any Error] {
        var failures: [any Error] = []
        do {
            let statistics = try await client.checkpoints(jobID)
            if let completed = statistics?.latestCompleted, let acknowledged = completed.latestAckTimestamp {
                lastCheckpoint = .init(id: completed.id, completedAt: Self.date(milliseconds: acknowledged))
            }
            if let savepoint = statistics?.latestSavepoint, let path = savepoint.externalPath, StateLocator.isUsable(path) {
                lastSavepoint = .init(path: path, completedAt: savepoint.latestAckTimestamp.map(Self.date(milliseconds:)))
            }
        } catch {
            failures.append(error)
            guard proceed(error) else { return failures }
        }
        do {
            restarts = try await client.jobMetric(jobID, "numRestarts").flatMap { Int($0) }
        } catch {
            failures.append(error)
        }
        return failures
    }

    static func date(milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
}
