import SluiceSpec
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

/// How a Flink cluster runs on Kubernetes: the operator's `KubernetesDeploymentMode`. Some change
/// classes depend on it (a parallelism change rescales only a standalone cluster).
public enum FlinkDeploymentMode: String, Sendable, Hashable, CaseIterable {
    case native
    case standalone

    /// A FlinkDeployment's `spec.mode`, `native` when unset (as `KubernetesDeploymentMode.getDeploymentMode`).
    public static func of(deployment: Value) -> FlinkDeploymentMode {
        deployment[path: "spec", "mode"]?.stringValue.flatMap(FlinkDeploymentMode.init(rawValue:)) ?? .native
    }

    /// The mode of `object`: its own for a FlinkDeployment; for a FlinkSessionJob, the mode of the
    /// session cluster it names in `spec.deploymentName` (as `FlinkSessionJobContext` reads it).
    public static func of(_ object: Value, sessionClusters: (String) -> Value?) -> FlinkDeploymentMode {
        guard object["kind"]?.stringValue == "FlinkSessionJob" else { return of(deployment: object) }
        return object[path: "spec", "deploymentName"]?.stringValue.flatMap(sessionClusters).map(of(deployment:)) ?? .native
    }
}

/// Classifies a change to a FlinkDeployment or FlinkSessionJob exactly as the operator does, so
/// that only meaningful differences restart a job.
///
/// The rules are the `@SpecDiff` and `@SpecDiff.Config` annotations of flink-kubernetes-operator-api
/// (`AbstractFlinkSpec`, `JobSpec`, `TaskManagerSpec`) as the operator's `ReflectiveDiffBuilder` applies
/// them: an annotated field has its class only in the modes it names and is an upgrade in the others;
/// `onNullIgnore` fields changed to null are ignored; every other spec field is an upgrade;
/// `flinkConfiguration` is compared key by key on its flat (dotted) form, the first matching prefix deciding.
public enum FlinkChangeClassifier {
    /// `spec.job` fields annotated `@SpecDiff(DiffType.IGNORE)` in `JobSpec`.
    static let ignoredJobFields: Set<String> = [
        "upgradeMode", "allowNonRestoredState", "initialSavepointPath", "savepointTriggerNonce",
        "checkpointTriggerNonce", "autoscalerResetNonce",
    ]

    /// `@SpecDiff.Config` on `AbstractFlinkSpec.flinkConfiguration`, in the annotation's order.
    static let configRules: [(prefix: String, changeClass: ChangeClass, modes: Set<FlinkDeploymentMode>)] = [
        ("job.autoscaler", .ignore, []),
        ("parallelism.default", .ignore, []),
        ("kubernetes.operator", .ignore, []),
        ("pipeline.jobvertex-parallelism-overrides", .scale, [.native]),
    ]

    /// The class of a change to one `flinkConfiguration` key (dotted form).
    public static func classify(configKey key: String, mode: FlinkDeploymentMode) -> ChangeClass {
        for rule in configRules where rule.modes.isEmpty || rule.modes.contains(mode) {
            if key.hasPrefix(rule.prefix) { return rule.changeClass }
        }
        return .upgrade
    }

    /// The class of one field change, by its path, for an object in `mode`.
    public static func classify(_ change: FieldChange, mode: FlinkDeploymentMode = .native) -> ChangeClass {
        let keys = change.keys
        guard keys.first == "spec" else { return .ignore }  // metadata and status never restart
        guard keys.count >= 2 else { return .upgrade }
        func annotated(_ changeClass: ChangeClass, modes: Set<FlinkDeploymentMode> = [], onNullIgnore: Bool = false) -> ChangeClass {
            if onNullIgnore, change.new == nil || change.new?.isNull == true { return .ignore }
            return modes.isEmpty || modes.contains(mode) ? changeClass : .upgrade
        }
        switch keys[1] {
        case "job":
            guard keys.count >= 3 else { return .upgrade }
            switch keys[2] {
            case "savepointRedeployNonce": return annotated(.savepointRedeploy, onNullIgnore: true)
            case "parallelism": return annotated(.scale, modes: [.standalone])
            case "state": return .ignore  // suspend and resume are their own actions, not upgrades
            case let field where ignoredJobFields.contains(field): return .ignore
            default: return .upgrade
            }
        case "taskManager":
            guard keys.count >= 3 else { return .upgrade }
            return keys[2] == "replicas" ? annotated(.scale, modes: [.standalone]) : .upgrade
        case "restartNonce":
            return annotated(.upgrade, onNullIgnore: true)
        case "flinkConfiguration":
            if keys.count >= 3 {
                return classify(configKey: keys[2...].joined(separator: "."), mode: mode)
            }
            // The whole map appeared or went away: the operator compares it key by key.
            let old = flatEntries(change.old)
            let new = flatEntries(change.new)
            return Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }
                .map { classify(configKey: $0, mode: mode) }.max() ?? .ignore
        default:
            return .upgrade
        }
    }

    private static func flatEntries(_ configuration: Value?) -> [String: Value] {
        let entries = configuration?.mapValue.map(FlinkConfiguration.flatten) ?? []
        return Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    /// The class of all `changes` together: the highest of them, `ignore` when there are none.
    public static func classify(_ changes: [FieldChange], mode: FlinkDeploymentMode = .native) -> ChangeClass {
        changes.map { classify($0, mode: mode) }.max() ?? .ignore
    }
}
