/// What Sluice will do to one object: the kind of a planned action. It lives beside the objects
/// it acts on because the job reconciler below the planner carries the same kinds out.
public enum ActionKind: String, Sendable, Hashable, Codable, CaseIterable {
    case create, update, rescale, upgrade, redeploy, savepoint, suspend, resume, delete
    /// Start a lost job (applied and recorded, but no longer running on the cluster) from its newest state.
    case restore
    /// Nothing to do: live matches desired.
    case none
    /// An owned object that is no longer desired, kept because the environment does not prune.
    case orphan
    /// Refused: an object with this identity exists and Sluice does not own it.
    case conflict
    /// Changed on the cluster behind Sluice's back; reported, not healed, because the
    /// environment's `syncPolicy.selfHeal` is off.
    case drift
}
