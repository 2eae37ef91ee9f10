import SluiceCore
import SluiceSpec
import SluiceYAML

/// One step of a plan, with why and what changes.
public struct PlannedAction: Sendable {
    public var cluster: String
    public var identity: ObjectIdentity
    public var kind: ActionKind
    public var reason: String
    /// For Flink jobs, how disruptive the change is, as the operator classifies it.
    public var changeClass: ChangeClass?
    /// For a FlinkBlueGreenDeployment, what the change does to its blue and green children.
    public var blueGreenChange: BlueGreenChange?
    public var changes: [FieldChange]
    public var desired: DesiredObject?
    public var live: LiveObject?
    /// A stateful job whose state cannot be found may start without it (`sync --allow-state-loss`).
    public var allowStateLoss = false
    /// Fields of the object Sluice leaves to others (autoscalers, ignore rules): an apply of an
    /// object that exists keeps their live values.
    public var ignoredFields: [IgnoredField] = []
    /// Differences in those fields, not carried out and not drift.
    public var ignored: [IgnoredChange] = []

    public var isChange: Bool { ![.none, .orphan, .drift].contains(kind) }
}

/// The plan for one cluster; `failure` is set when its live state could not be read or the plan
/// is refused (e.g. a mass prune), and then it has no actions.
public struct ClusterPlan: Sendable {
    public var cluster: ClusterSpec
    public var actions: [PlannedAction]
    public var failure: ClusterFailure?

    public var changes: [PlannedAction] { actions.filter(\.isChange) }
}

/// The plan of a whole sync: every cluster, in name order.
public struct Plan: Sendable {
    public var revision: String
    public var clusters: [ClusterPlan]

    public init(revision: String, clusters: [ClusterPlan]) {
        self.revision = revision
        self.clusters = clusters
    }

    public var hasChanges: Bool { clusters.contains { !$0.changes.isEmpty } }
    public var hasErrors: Bool { clusters.contains { $0.failure != nil } }
}
