import SluiceSpec
import SluiceYAML

/// One planned change to a Flink object, as the job reconciler carries it out: what the planner
/// decided (`kind`) for which object, the rendered object with the spec hash and revision it was
/// rendered at, and what the cluster held before. The `flink` and `runtime` drivers hand it on
/// unchanged (the remote runtime over its HTTP API).
public struct JobChange: Sendable {
    /// What to do; one of the kinds in `JobChange.init`, never a plan's no-op, orphan, conflict or drift.
    public private(set) var kind: ActionKind
    public var identity: ObjectIdentity
    /// The rendered object; nil for a delete.
    public var desired: Value?
    public var specHash: String?
    /// The revision `desired` was rendered from, for the journal.
    public var revision: String?
    /// What was found on the cluster.
    public var live: Value?
    /// A stateful job whose state cannot be found may start without it (`sync --allow-state-loss`).
    public var allowStateLoss: Bool

    /// `nil` for the kinds of action that ask nothing of a job: `none`, `orphan`, `conflict` and `drift`.
    public init?(_ kind: ActionKind, identity: ObjectIdentity, desired: Value?, specHash: String?, revision: String?, live: Value?,
                 allowStateLoss: Bool = false) {
        switch kind {
        case .none, .orphan, .conflict, .drift: return nil
        case .create, .update, .rescale, .upgrade, .redeploy, .savepoint, .suspend, .resume, .delete, .restore: break
        }
        self.kind = kind
        self.identity = identity
        self.desired = desired
        self.specHash = specHash
        self.revision = revision
        self.live = live
        self.allowStateLoss = allowStateLoss
    }

    /// The same object taken through a step of its own on the way to the planned one: the runtime
    /// replaces a deployment's processes by suspending the live spec and resuming the desired one.
    public func step(_ step: Step, desired: Value?, specHash: String?, revision: String?, allowStateLoss: Bool) -> JobChange {
        var change = self
        change.kind = step == .suspend ? .suspend : .resume
        change.desired = desired
        change.specHash = specHash
        change.revision = revision
        change.allowStateLoss = allowStateLoss
        return change
    }

    /// The steps a driver takes on its own account, not as planned.
    public enum Step: Sendable {
        case suspend, resume
    }
}
