import SluiceSpec

extension Planner {
    /// The step for a changed FlinkBlueGreenDeployment, from the operator's blue/green diff types
    /// (`BlueGreenChangeClassifier`): only a TRANSITION starts the other child.
    static func blueGreenStep(_ changed: PlannedAction) -> PlannedAction {
        var step = changed
        let change = BlueGreenChangeClassifier.classify(step.changes)
        step.changeClass = change.changeClass
        step.blueGreenChange = change
        switch change {
        case .ignore:
            step.kind = .update
            step.reason = "spec.template.spec unchanged: blue/green ignore (the running child is not touched)"
        case .patchChild:
            step.kind = .update
            step.reason = "only fields the operator ignores changed in spec.template.spec: blue/green patch-child (no transition)"
        case .transition:
            step.kind = .upgrade
            step.reason = "spec.template.spec changed: blue/green transition (savepoint the active child without stopping it, start the other from it, stop the old one once the new one is healthy; the old one keeps running if the new one fails)"
        case .savepointRedeploy:
            step.kind = .redeploy
            step.reason = "savepointRedeployNonce changed: blue/green redeploy from spec.template.spec.job.initialSavepointPath"
        case .suspend:
            step.kind = .suspend
            step.reason = "spec.template.spec.job.state is suspended: the active child is suspended in place"
        case .resume:
            step.kind = .resume
            step.reason = "spec.template.spec.job.state is running again: the child starts with the current spec"
        }
        return step
    }
}
