import SluiceYAML

/// How much a change to a Flink job disturbs it, ordered as the Flink Kubernetes Operator
/// orders its spec changes: only the highest class present decides what happens.
public enum ChangeClass: Int, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// Nothing Flink sees changed (labels, annotations, upgrade settings, autoscaler and operator
    /// configuration): the object is updated, the job keeps running untouched.
    case ignore
    /// Only the parallelism changed: the job is rescaled.
    case scale
    /// Anything else in the spec changed: the job is upgraded according to its `upgradeMode`.
    case upgrade
    /// `savepointRedeployNonce` changed: the job is redeployed from `initialSavepointPath`,
    /// whatever its current state.
    case savepointRedeploy

    public static func < (a: ChangeClass, b: ChangeClass) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .ignore: "ignore"
        case .scale: "scale"
        case .upgrade: "upgrade"
        case .savepointRedeploy: "savepoint-redeploy"
        }
    }
}

/// Classifies a change to a FlinkDeployment or FlinkSessionJob the way the operator does, so
/// that only meaningful differences restart a job.
public enum FlinkChangeClassifier {
    /// `spec.job` fields that never restart a job by themselves.
    static let ignoredJobFields: Set<String> = [
        "upgradeMode", "allowNonRestoredState", "initialSavepointPath", "savepointTriggerNonce",
        "checkpointTriggerNonce", "autoscalerResetNonce",
    ]
    /// `flinkConfiguration` key prefixes that never restart a job.
    static let ignoredConfigPrefixes = ["job.autoscaler.", "kubernetes.operator."]
    static let ignoredConfigKeys: Set<String> = ["parallelism.default"]

    /// The class of one field change, by its path.
    public static func classify(_ change: FieldChange) -> ChangeClass {
        let keys = change.keys
        guard keys.first == "spec" else { return .ignore }  // metadata and status never restart
        guard keys.count >= 2 else { return .upgrade }
        switch keys[1] {
        case "job":
            guard keys.count >= 3 else { return .upgrade }
            switch keys[2] {
            case "savepointRedeployNonce": return .savepointRedeploy
            case "parallelism": return .scale
            case "state": return .ignore  // suspend and resume are their own actions, not upgrades
            case let field where ignoredJobFields.contains(field): return .ignore
            default: return .upgrade
            }
        case "flinkConfiguration":
            guard keys.count >= 3 else { return .upgrade }
            let key = keys[2]
            if ignoredConfigKeys.contains(key) || ignoredConfigPrefixes.contains(where: key.hasPrefix) { return .ignore }
            return .upgrade
        case "restartNonce":
            return .upgrade
        default:
            return .upgrade
        }
    }

    /// The class of all `changes` together: the highest of them, `ignore` when there are none.
    public static func classify(_ changes: [FieldChange]) -> ChangeClass {
        changes.map(classify).max() ?? .ignore
    }
}
