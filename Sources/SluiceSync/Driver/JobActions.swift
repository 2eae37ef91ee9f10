import Foundation
import SluiceCore
import SluiceFlink
import SluiceSpec

/// A driver that can say more about its Flink jobs than their health: state, restarts, newest
/// checkpoint and savepoint, for the status API. Reads only.
public protocol JobInspecting: ClusterDriver {
    /// The jobs of `identities` as the cluster reports them now; an object left out is unknown.
    func observeJobs(_ identities: [ObjectIdentity]) async -> [ObjectIdentity: JobObservation]
}

extension FlinkSessionDriver: JobInspecting {
    public func observeJobs(_ identities: [ObjectIdentity]) async -> [ObjectIdentity: JobObservation] {
        (try? await reconciler.observe(identities)) ?? [:]
    }
}

extension EmbeddedRuntimeDriver: JobInspecting {
    public func observeJobs(_ identities: [ObjectIdentity]) async -> [ObjectIdentity: JobObservation] {
        await runtime.observe(identities)
    }
}

/// Why a savepoint on request is refused before the cluster is asked for anything.
public struct SavepointRefusal: SluiceError {
    public enum Reason: Sendable, Hashable {
        /// The Flink Kubernetes Operator runs the cluster's jobs and takes their savepoints.
        case operatorManaged
        /// The object runs no Flink job (a session cluster definition, a plain manifest).
        case notAJob
    }

    public var reason: Reason
    public var message: String
    public var hint: String?

    /// Refuses a savepoint on request where the cluster's own controller takes them (see `takeSavepoint`).
    public static func check(_ cluster: ClusterSpec, job: String) throws(SavepointRefusal) {
        guard cluster.driver == .kubernetes else { return }
        throw SavepointRefusal(reason: .operatorManaged,
                               message: "cluster \(cluster.name) runs its jobs through the Flink Kubernetes Operator, which takes their savepoints",
                               hint: "change spec.job.savepointTriggerNonce of \(job) in Git; the operator takes a savepoint when it changes")
    }
}

extension ClusterDriver {
    /// Takes a savepoint of the running job of `live` now, through the driver's own `savepoint`
    /// step (what a new `savepointTriggerNonce` does): the flink and runtime drivers trigger it on
    /// Flink, journal it, and record the path as the object's newest savepoint; the job keeps
    /// running and its applied spec stays as it is.
    ///
    /// Refused on the kubernetes driver: there the operator takes savepoints when
    /// `spec.job.savepointTriggerNonce` changes (flink-kubernetes-operator `JobSpec`, "change the
    /// number to a different non-null value" to trigger one). Setting the nonce on the live object
    /// alone would be undone by the next sync from Git, and that change of the nonce would trigger
    /// a second savepoint; the nonce belongs in Git.
    public func takeSavepoint(of live: LiveObject) async throws -> ActionOutcome {
        try SavepointRefusal.check(cluster, job: live.identity.name)
        guard JobSpec(live.value) != nil, let specHash = live.specHash else {
            throw SavepointRefusal(reason: .notAJob, message: "\(live.identity) on \(cluster.name) runs no Flink job Sluice applied", hint: nil)
        }
        // The applied object itself, so the step records nothing new but the savepoint.
        let applied = DesiredObject(cluster: cluster.name, environment: live.environment ?? "", identity: live.identity, value: live.value,
                                    source: SourceLocation(file: "<applied>", line: 0, column: 0), specHash: specHash, revision: live.revision)
        let action = PlannedAction(cluster: cluster.name, identity: live.identity, kind: .savepoint, reason: "savepoint on request",
                                   changeClass: nil, changes: [], desired: applied, live: live)
        return try await apply(action)
    }
}
