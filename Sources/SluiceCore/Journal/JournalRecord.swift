#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One line of the journal: a lifecycle step of one object on one cluster.
///
/// Steps come in pairs where it matters: an `intent` is written *before* an irreversible call
/// (submitting a job, stopping it with a savepoint) with every id the call will use, and the
/// `outcome` after. A crash between the two leaves the intent, so the next run can finish the
/// step with the same ids instead of starting it again.
public struct JournalRecord: Codable, Sendable, Hashable {
    public enum Phase: String, Codable, Sendable, Hashable { case intent, outcome }

    /// The lifecycle steps Sluice records.
    public enum Step: String, Codable, Sendable, Hashable {
        case submit, stopWithSavepoint, savepoint, cancel, rescale, suspend, resume, delete, apply, healthGate, rollback
    }

    public var time: Date
    public var cluster: String
    /// `ObjectIdentity.description` of the object, e.g. `FlinkDeployment.flink.apache.org ns/name`.
    public var object: String
    public var step: Step
    public var phase: Phase
    public var revision: String?
    public var specHash: String?
    public var jobID: String?
    public var triggerID: String?
    public var savepointPath: String?
    /// For outcomes: whether the step succeeded.
    public var succeeded: Bool?
    public var durationMilliseconds: Int?
    public var message: String?

    public init(time: Date = Date(), cluster: String, object: String, step: Step, phase: Phase,
                revision: String? = nil, specHash: String? = nil, jobID: String? = nil, triggerID: String? = nil,
                savepointPath: String? = nil, succeeded: Bool? = nil, durationMilliseconds: Int? = nil, message: String? = nil) {
        self.time = time
        self.cluster = cluster
        self.object = object
        self.step = step
        self.phase = phase
        self.revision = revision
        self.specHash = specHash
        self.jobID = jobID
        self.triggerID = triggerID
        self.savepointPath = savepointPath
        self.succeeded = succeeded
        self.durationMilliseconds = durationMilliseconds
        self.message = message
    }
}
