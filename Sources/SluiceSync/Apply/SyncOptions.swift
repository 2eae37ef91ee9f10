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
    /// A cluster's remaining actions stop after this many transport failures in a row (the API
    /// server stopped answering); the next sync resumes.
    public var transportFailureLimit = 3

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
