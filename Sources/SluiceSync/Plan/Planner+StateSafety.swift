import SluiceSpec

extension Planner {
    /// What a plan must say about a job's state: a lost job (applied and recorded, no longer
    /// running) is restored rather than called in sync, and a change that throws state away says
    /// so. "In sync" means running as desired, not "nothing to submit".
    static func markingStateSafety(_ action: PlannedAction) -> PlannedAction {
        var step = action
        if let live = step.live, live.isLost, let desired = step.desired,
           (desired.value[path: "spec", "job", "state"]?.stringValue ?? "running") == "running" {
            let lost = live.health?.reason ?? "lost: its job no longer runs"
            switch step.kind {
            case .none, .update, .savepoint, .drift:
                step.kind = .restore
                step.reason = "\(lost); restore it from its newest checkpoint or savepoint"
            case .upgrade, .rescale, .resume:
                step.reason = "\(lost); \(step.reason), from its newest checkpoint or savepoint"
            default:
                break
            }
        }
        if let drop = stateDropped(step) { step.reason += "; state will be dropped: \(drop)" }
        if let note = lastStateFallback(step) { step.reason += "; \(note)" }
        return step
    }

    /// Why `action` starts a stateful job without its current state, if it does.
    static func stateDropped(_ action: PlannedAction) -> String? {
        guard let desired = action.desired else { return nil }
        let newMode = desired.value[path: "spec", "job", "upgradeMode"]?.stringValue ?? "stateless"
        let oldMode = action.live?.value[path: "spec", "job", "upgradeMode"]?.stringValue ?? "stateless"
        if action.kind == .redeploy { return "it restarts from spec.job.initialSavepointPath, not from its current state" }
        if [.upgrade, .rescale].contains(action.kind), newMode == "stateless", oldMode != "stateless" {
            return "upgradeMode changes to stateless, so the new job starts without the \(oldMode) job's state"
        }
        return nil
    }

    /// A last-state upgrade restores the latest checkpoint only when it is externally addressable;
    /// without a checkpoint directory in the spec that depends on the cluster's configuration.
    static func lastStateFallback(_ action: PlannedAction) -> String? {
        guard [.upgrade, .rescale].contains(action.kind), let desired = action.desired,
              desired.value[path: "spec", "job", "upgradeMode"]?.stringValue == "last-state" else { return nil }
        let configuration = desired.value[path: "spec", "flinkConfiguration"]
        guard configuration?["execution.checkpointing.dir"] == nil, configuration?["state.checkpoints.dir"] == nil else { return nil }
        return "spec.flinkConfiguration sets no execution.checkpointing.dir: unless the cluster does, the last checkpoint is not externally addressable and the upgrade goes through a savepoint"
    }
}
