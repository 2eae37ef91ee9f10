import SluiceSpec

/// How a sync runs. `nil` switches defer to each Environment's `spec.syncPolicy`.
public struct SyncOptions: Sendable {
    /// Delete owned objects removed from Git (`nil`: when an environment of the cluster says `prune: true`).
    public var prune: Bool?
    /// Allow deleting more than half of a cluster's owned objects in one sync.
    public var allowMassPrune: Bool
    /// Re-apply objects changed on the cluster (`nil`: when an environment of the cluster says `selfHeal: true`).
    public var selfHeal: Bool?
    /// Roll a job back to its last healthy spec from the upgrade's savepoint when its health gate
    /// fails (`nil`: when its environment says `autoRollback: true`).
    public var autoRollback: Bool?
    /// How long a changed object may take to become healthy after its wave.
    public var healthTimeout: Duration
    /// How often health is polled during a gate.
    public var healthPollInterval: Duration
    /// Plan and report, change nothing.
    public var dryRun: Bool
    /// Start a stateful job that ran before without state when none of its state can be found.
    public var allowStateLoss = false
    /// The command that takes each cluster's cross-process lock before planning it (`sluice sync`,
    /// `sluice serve`); `nil` plans without locking (`sluice plan` only reads).
    public var lockHolder: String?
    /// How long to wait for another Sluice process to let go of a cluster.
    public var lockWait: Duration = .seconds(10)
    /// A cluster's remaining actions stop after this many transport failures in a row (the API
    /// server stopped answering); the next sync resumes.
    public var transportFailureLimit = 3
    /// When set and requested, the sync stops at its next safe point (`sluice serve`'s second signal).
    public var interrupt: SyncInterrupt?
    /// How many clusters are planned (their live state read) at once. Each cluster is read on
    /// its own, so one slow or failing cluster holds one slot and nothing else.
    public var parallelism = SyncOptions.defaultParallelism
    public static let defaultParallelism = 8

    public init(prune: Bool? = nil, allowMassPrune: Bool = false, selfHeal: Bool? = nil, autoRollback: Bool? = nil,
                healthTimeout: Duration = .seconds(300), healthPollInterval: Duration = .seconds(1), dryRun: Bool = false) {
        self.prune = prune
        self.allowMassPrune = allowMassPrune
        self.selfHeal = selfHeal
        self.autoRollback = autoRollback
        self.healthTimeout = healthTimeout
        self.healthPollInterval = healthPollInterval
        self.dryRun = dryRun
    }
}
