import Foundation
import SluiceCore
import SluiceSpec

/// What a sync did, per cluster and object.
public struct SyncReport: Sendable {
    public var revision: String
    public var clusters: [ClusterSyncResult]

    /// Whether every cluster synced (or had nothing to do).
    public var succeeded: Bool { clusters.allSatisfy { $0.status == .synced || $0.status == .unchanged } }

    public init(revision: String, clusters: [ClusterSyncResult]) {
        self.revision = revision
        self.clusters = clusters
    }
}

/// The result of one cluster in a sync.
public struct ClusterSyncResult: Sendable {
    public enum Status: String, Sendable, Codable {
        /// Changes applied and healthy.
        case synced
        /// Nothing to change.
        case unchanged
        /// An action or a health gate failed; the message says which.
        case failed
        /// Not attempted because an earlier wave failed.
        case held
        /// Its live state could not be read or its plan was refused.
        case error
    }

    public var cluster: String
    public var wave: Int
    public var status: Status
    public var message: String
    public var actions: [ActionResult]
    /// Wall time of the cluster's sync: actions and health gate.
    public var durationSeconds: Double = 0
    /// When its sync started (nil for a cluster held or not synced); it ended `durationSeconds` later.
    public var started: Date?

    public init(cluster: String, wave: Int, status: Status, message: String, actions: [ActionResult], durationSeconds: Double = 0) {
        self.cluster = cluster
        self.wave = wave
        self.status = status
        self.message = message
        self.actions = actions
        self.durationSeconds = durationSeconds
    }
}

/// One applied action with its outcome and the health seen afterwards.
public struct ActionResult: Sendable {
    public var action: PlannedAction
    public var succeeded: Bool
    public var message: String
    public var savepointPath: String?
    public var health: Health?
    /// Set when the object was rolled back after a failed health gate.
    public var rolledBack: Bool
    public var durationSeconds: Double
    /// A delete the cluster has not finished yet (finalizers pending).
    public var awaitingRemoval = false
    /// The cluster could not be reached for this action (connection refused or reset, timeout),
    /// or it was not attempted because the cluster had stopped answering.
    public var unreachable = false
}

/// Progress of a running sync, for people watching it.
public enum SyncEvent: Sendable {
    case waveStarted(wave: Int, clusters: [String])
    case actionStarted(PlannedAction)
    case actionFinished(ActionResult)
    case healthWaiting(cluster: String, identity: ObjectIdentity, health: Health)
    case clusterFinished(ClusterSyncResult)
}
