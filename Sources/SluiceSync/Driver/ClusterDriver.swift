import Foundation
import SluiceCore
import SluiceSpec

/// What a driver reports after applying one action: what became of the object, as the entries
/// of fluxcd/pkg ssa's `ChangeSet` say it, and a message for a person.
public struct ActionOutcome: Sendable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The cluster took the change (created, configured, deleted, or a job step carried out).
        case applied
        /// The object already was as planned; the driver changed nothing.
        case unchanged
        /// Left alone on purpose: the action is not one this driver carries out (an orphan kept,
        /// drift reported).
        case skipped
        /// The change did not take.
        case failed
    }

    public var kind: Kind
    public var message: String
    /// A savepoint taken on the way (stop-with-savepoint, savepoint trigger), if any.
    public var savepointPath: String?
    /// A delete the cluster accepted but has not finished (finalizers pending): the sync waits,
    /// within the health timeout, until the object is gone.
    public var awaitingRemoval = false

    public init(_ kind: Kind, _ message: String, savepointPath: String? = nil) {
        self.kind = kind
        self.message = message
        self.savepointPath = savepointPath
    }

    public var succeeded: Bool { kind != .failed }

    /// What a driver answers to an action that asks it for nothing: `none` found the object as
    /// planned; an orphan, a conflict or drift is left alone.
    public static func nothingToDo(_ action: ActionKind) -> ActionOutcome {
        ActionOutcome(action == .none ? .unchanged : .skipped, "nothing to do")
    }
}

/// One kind of cluster Sluice can apply to (Kubernetes, a Flink session cluster, the bundled
/// runtime). A driver does the I/O; deciding what to do is the `Planner`'s job.
public protocol ClusterDriver: Sendable {
    var cluster: ClusterSpec { get }

    /// Every object on the cluster that Sluice owns, plus any object at an identity in `desired`
    /// (so that a conflict with an unowned object is seen).
    func liveState(desired: [DesiredObject]) async throws -> [LiveObject]

    /// Carries out one planned action.
    func apply(_ action: PlannedAction) async throws -> ActionOutcome

    /// The current health of one object.
    func health(of identity: ObjectIdentity) async throws -> Health

    /// Lets go of what the driver holds when a command ends (e.g. detaching runtime processes so
    /// the next Sluice adopts them).
    func close() async

    /// How many actions of the same apply rank may run at once (1: one after another).
    var maxConcurrentActions: Int { get }

    /// The planned `action` with its reason saying how this cluster will carry it out, where that
    /// depends on what only the cluster knows (whether a rescale can happen in place). Reads only.
    func describe(_ action: PlannedAction) async -> PlannedAction

    /// The file whose `flock` keeps a second Sluice process on this host off the cluster while
    /// one changes it; `nil` when the cluster's state is not local (it is locked there, if at all).
    var lockFile: URL? { get }

    /// Takes the lock a cluster's shared state offers (a Kubernetes Lease), waiting up to `wait`
    /// for another Sluice, on any host, to let go; `close()` releases it. Nothing where the
    /// cluster offers no shared place for one (`lockFile` covers this host then).
    func lockShared(command: String, wait: Duration) async throws
}

extension ClusterDriver {
    public func describe(_ action: PlannedAction) async -> PlannedAction { action }
    public var lockFile: URL? { nil }
    public func lockShared(command: String, wait: Duration) async throws {}
    public func close() async {}
    public var maxConcurrentActions: Int { 1 }
}
