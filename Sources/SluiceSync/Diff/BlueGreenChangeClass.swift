import SluiceSpec
import SluiceYAML

/// What a change to a FlinkBlueGreenDeployment does, as the operator's `BlueGreenDiffType` names it.
public enum BlueGreenChange: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The children's FlinkDeployment spec (`spec.template.spec`) is unchanged: nothing happens to them.
    case ignore
    /// Only fields the operator ignores changed in `spec.template.spec`: the active child is patched, no transition.
    case patchChild = "patch-child"
    /// Anything else changed in `spec.template.spec`: a blue/green transition (savepoint the active
    /// child without stopping it, start the other from that savepoint, stop the old one once the new one is healthy).
    case transition
    /// `savepointRedeployNonce` changed: the new child starts from `initialSavepointPath`.
    case savepointRedeploy = "savepoint-redeploy"
    /// `job.state` became suspended: the active child is suspended in place.
    case suspend
    /// `job.state` went from suspended to running: the child starts again with the current spec.
    case resume

    public var description: String { rawValue }

    /// The class of the same change on the FlinkDeployment the active child is, for reports that
    /// order changes by how much they disturb a job.
    public var changeClass: ChangeClass {
        switch self {
        case .ignore, .patchChild, .suspend, .resume: .ignore
        case .transition: .upgrade
        case .savepointRedeploy: .savepointRedeploy
        }
    }
}

/// Classifies a change to a FlinkBlueGreenDeployment exactly as the operator's
/// `FlinkBlueGreenDeploymentSpecDiff.compare()` does (flink-kubernetes-operator,
/// reconciler/diff/FlinkBlueGreenDeploymentSpecDiff.java):
/// 1. a `job.state` change to suspended is SUSPEND, from suspended to running RESUME (first, highest precedence);
/// 2. `ReflectiveDiffBuilder` on the nested FlinkDeploymentSpecs; SAVEPOINT_REDEPLOY wins;
/// 3. identical nested specs are IGNORE, whatever else changed (`spec.configuration`, `spec.ingress`, metadata);
/// 4. a nested diff of type IGNORE is PATCH_CHILD, any other type (SCALE included) TRANSITION.
/// The nested diff runs in native mode: `BlueGreenUtils.getSpecDiff` passes `KubernetesDeploymentMode.NATIVE`.
public enum BlueGreenChangeClassifier {
    static let templateSpec = ["spec", "template", "spec"]

    public static func classify(_ changes: [FieldChange]) -> BlueGreenChange {
        let nested = templateChanges(changes)
        let (oldState, newState) = jobStates(nested)
        if oldState != newState {
            if newState == "suspended" { return .suspend }
            if oldState == "suspended" && newState == "running" { return .resume }
        }
        let nestedClass = FlinkChangeClassifier.classify(nested, mode: .native)
        if nestedClass == .savepointRedeploy { return .savepointRedeploy }
        if nested.isEmpty { return .ignore }
        return nestedClass == .ignore ? .patchChild : .transition
    }

    /// The changes inside `spec.template.spec`, rewritten as changes of a FlinkDeployment (`spec.…`),
    /// so the FlinkDeployment rules apply to them unchanged. A change of a parent (the whole template
    /// added or removed) is taken apart into the fields below it.
    static func templateChanges(_ changes: [FieldChange]) -> [FieldChange] {
        var out: [FieldChange] = []
        for change in changes {
            if change.keys.starts(with: templateSpec) {
                let keys = ["spec"] + change.keys.dropFirst(templateSpec.count)
                out.append(FieldChange(path: FieldDiff.path(keys), keys: keys, old: change.old, new: change.new, manager: change.manager))
            } else if templateSpec.starts(with: change.keys) {
                let rest = Array(templateSpec.dropFirst(change.keys.count))
                // A missing side is an empty spec, so the fields are compared one by one.
                func wrapped(_ value: Value?) -> Value {
                    let inner = value.flatMap { descend($0, rest) } ?? Value(.map(Mapping()))
                    return Value(.map(Mapping([Mapping.Entry(key: "spec", value: inner)])))
                }
                out += FieldDiff.changes(from: wrapped(change.old), to: wrapped(change.new))
            }
        }
        return out
    }

    /// `spec.job.state` before and after, `running` when unset (as `getJobState` defaults it).
    static func jobStates(_ nested: [FieldChange]) -> (old: String, new: String) {
        let statePath = ["spec", "job", "state"]
        guard let change = nested.first(where: { statePath.starts(with: $0.keys) }) else { return ("running", "running") }
        let rest = Array(statePath.dropFirst(change.keys.count))
        func state(_ value: Value?) -> String { value.flatMap { descend($0, rest) }?.stringValue ?? "running" }
        return (state(change.old), state(change.new))
    }

    private static func descend(_ value: Value, _ keys: [String]) -> Value? {
        var current: Value? = value
        for key in keys { current = current?[key] }
        return current
    }
}
