import SluiceSpec
import SluiceYAML

/// A field of one object that Sluice leaves to someone else, and why.
public struct IgnoredField: Sendable, Hashable {
    /// The field (or the subtree under it), as `FieldChange.keys`.
    public var keys: [String]
    /// `managed by HorizontalPodAutoscaler web`, `ignored by Environment prod spec.ignore[0] (...)`.
    public var reason: String
    /// How an apply of an object that exists treats it: `liveValue` sends the value the cluster
    /// has (the field keeps it, Sluice stays an owner of it); `omit` leaves it out of the apply, for
    /// fields another manager owns on the cluster (that manager keeps it).
    public var onApply: OnApply

    public enum OnApply: Sendable, Hashable { case liveValue, omit }

    public init(keys: [String], reason: String, onApply: OnApply = .liveValue) {
        self.keys = keys
        self.reason = reason
        self.onApply = onApply
    }

    /// Whether a change at `keys` falls in this field (the field itself or anything under it), or
    /// replaces a whole map or list that holds it.
    func covers(_ changeKeys: [String]) -> Bool { changeKeys.starts(with: keys) }
}

/// A change that Sluice does not carry out, and why.
public struct IgnoredChange: Sendable, Hashable, CustomStringConvertible {
    public var change: FieldChange
    public var reason: String

    public var description: String { "\(change.path): \(reason)" }
}

/// Which fields of an object are not Sluice's to apply, heal or report as drift: the scale field an
/// autoscaler owns, what the Flink operator's autoscaler manages, and the `spec.ignore` rules of
/// the object's Environment and Cluster.
public enum FieldIgnorer {
    /// The operator's autoscaler is on (`AutoScalerOptions.AUTOSCALER_ENABLED`: `job.autoscaler.enabled`,
    /// fallback key `kubernetes.operator.job.autoscaler.enabled`).
    static let autoscalerEnabledKeys = ["job.autoscaler.enabled", "kubernetes.operator.job.autoscaler.enabled"]
    /// Memory tuning is on (`AutoScalerOptions.MEMORY_TUNING_ENABLED`).
    static let memoryTuningKeys = ["job.autoscaler.memory.tuning.enabled", "kubernetes.operator.job.autoscaler.memory.tuning.enabled"]
    /// What `KubernetesScalingRealizer.realizeParallelismOverrides` writes into the spec.
    static let parallelismOverrides = "pipeline.jobvertex-parallelism-overrides"
    /// What `MemoryTuning` overrides or removes (`ConfigChanges`), applied by
    /// `KubernetesScalingRealizer.realizeConfigOverrides` to `spec.flinkConfiguration`.
    static let tunedMemoryKeys = [
        "taskmanager.memory.process.size", "taskmanager.memory.flink.size", "taskmanager.memory.task.heap.size",
        "taskmanager.memory.framework.heap.size", "taskmanager.memory.managed.fraction", "taskmanager.memory.managed.size",
        "taskmanager.memory.network.min", "taskmanager.memory.network.max", "taskmanager.memory.jvm-overhead.fraction",
        "taskmanager.memory.jvm-metaspace.size",
    ]
    /// The TaskManager memory `realizeConfigOverrides` sets (`setTaskManagerMemory`): the deprecated
    /// `resource.memory`, else `resources.requests.memory` and `resources.limits.memory`.
    static let tunedMemoryFields: [[String]] = [
        ["spec", "taskManager", "resource", "memory"],
        ["spec", "taskManager", "resources", "requests", "memory"],
        ["spec", "taskManager", "resources", "limits", "memory"],
    ]
    static let autoscalerReason = "managed by the Flink operator's autoscaler (job.autoscaler.enabled)"

    /// The ignored fields of `object`: those `live` says a controller owns, the operator
    /// autoscaler's when Git turns it on, and those the rules name (pointers, and the fields the
    /// named managers own on the cluster).
    public static func fields(of object: DesiredObject, live: LiveObject?, rules: [IgnoreRule]) -> [IgnoredField] {
        var out: [IgnoredField] = []
        for owned in live?.ownedElsewhere ?? [] {
            out.append(IgnoredField(keys: owned.keys, reason: "managed by \(owned.owner)"))
        }
        out += operatorAutoscalerFields(object.value)
        for rule in rules where rule.matches(object.identity, environment: object.environment) {
            for pointer in rule.jsonPointers {
                out.append(IgnoredField(keys: pointer.tokens, reason: "ignored by \(rule.label): \(pointer)"))
            }
            for manager in rule.managedFieldsManagers {
                for keys in live?.managedFields[manager] ?? [] {
                    out.append(IgnoredField(keys: keys, reason: "owned by \(manager), ignored by \(rule.label)", onApply: .omit))
                }
            }
        }
        return out
    }

    /// The fields the Flink Kubernetes Operator's autoscaler manages on a FlinkDeployment or
    /// FlinkSessionJob whose configuration in Git turns it on (turning it off in Git gives the
    /// fields back to Git at once).
    static func operatorAutoscalerFields(_ desired: Value) -> [IgnoredField] {
        guard desired[path: "apiVersion"]?.stringValue.map({ ObjectIdentity.group(ofAPIVersion: $0) == KnownKinds.flinkGroup }) == true,
              ["FlinkDeployment", "FlinkSessionJob"].contains(desired["kind"]?.stringValue ?? "") else { return [] }
        func on(_ keys: [String]) -> Bool {
            keys.contains { key in isTrue(desired[path: "spec", "flinkConfiguration", key]) }
        }
        guard on(autoscalerEnabledKeys) else { return [] }
        var out = [IgnoredField(keys: ["spec", "flinkConfiguration", parallelismOverrides], reason: autoscalerReason)]
        if on(memoryTuningKeys), desired["kind"]?.stringValue == "FlinkDeployment" {
            let reason = "managed by the Flink operator's autoscaler (job.autoscaler.memory.tuning.enabled)"
            out += tunedMemoryKeys.map { IgnoredField(keys: ["spec", "flinkConfiguration", $0], reason: reason) }
            out += tunedMemoryFields.map { IgnoredField(keys: $0, reason: reason) }
        }
        return out
    }

    /// Flink reads booleans case-insensitively from strings (`"true"`, `"TRUE"`) as well as YAML booleans.
    static func isTrue(_ value: Value?) -> Bool {
        if let flag = value?.boolValue { return flag }
        return value?.stringValue?.lowercased() == "true"
    }

    /// The field of `fields` that covers a change at `keys`, if any.
    public static func field(covering keys: [String], in fields: [IgnoredField]) -> IgnoredField? {
        fields.first { $0.covers(keys) }
    }

    /// `changes` split into those Sluice carries out and those it leaves alone.
    public static func partition(_ changes: [FieldChange], by fields: [IgnoredField]) -> (kept: [FieldChange], ignored: [IgnoredChange]) {
        guard !fields.isEmpty else { return (changes, []) }
        var kept: [FieldChange] = [], ignored: [IgnoredChange] = []
        for change in changes {
            if let field = field(covering: change.keys, in: fields) {
                ignored.append(IgnoredChange(change: change, reason: field.reason))
            } else {
                kept.append(change)
            }
        }
        return (kept, ignored)
    }

    /// The body to apply to an object that exists: every ignored field carries the value it has on
    /// the cluster (absent there: absent here), or is left out when its manager owns it, so an
    /// apply never changes or takes over what Sluice leaves to others.
    public static func body(_ body: Value, keepingLive live: Value, fields: [IgnoredField]) -> Value {
        var out = body
        for field in fields where !field.keys.isEmpty {
            let liveValue = value(at: field.keys, in: live)
            if field.onApply == .omit || liveValue == nil {
                out = removing(field.keys, from: out)
            } else if let liveValue {
                out = setting(field.keys, to: liveValue, in: out)
            }
        }
        return out
    }

    static func value(at keys: [String], in object: Value) -> Value? {
        var current: Value? = object
        for key in keys {
            if let map = current?.mapValue { current = map[key] }
            else if let list = current?.listValue, let index = Int(key), list.indices.contains(index) { current = list[index] }
            else { return nil }
        }
        return current
    }

    static func setting(_ keys: [String], to value: Value, in object: Value) -> Value {
        guard let first = keys.first else { return value }
        if var list = object.listValue, let index = Int(first), list.indices.contains(index) {
            list[index] = setting(Array(keys.dropFirst()), to: value, in: list[index])
            return Value(.list(list))
        }
        var map = object.mapValue ?? Mapping()
        map[first] = setting(Array(keys.dropFirst()), to: value, in: map[first] ?? Value(.map(Mapping())))
        return Value(.map(map))
    }

    static func removing(_ keys: [String], from object: Value) -> Value {
        guard let first = keys.first else { return object }
        if var list = object.listValue, let index = Int(first), list.indices.contains(index) {
            guard keys.count > 1 else { return object }  // a list element is not removed: positions would shift
            list[index] = removing(Array(keys.dropFirst()), from: list[index])
            return Value(.list(list))
        }
        guard var map = object.mapValue, let child = map[first] else { return object }
        if keys.count == 1 {
            map.removeValue(forKey: first)
        } else {
            map[first] = removing(Array(keys.dropFirst()), from: child)
        }
        return Value(.map(map))
    }
}

extension FieldIgnorer {
    /// The built-in kinds with a scale subresource, whose replicas live in `spec.replicas`.
    static let builtInScalable: Set<String> = ["apps/Deployment", "apps/StatefulSet", "apps/ReplicaSet", "/ReplicationController"]

    /// What a review without a cluster knows (`sluice check`): the scale field of objects an HPA
    /// in the same desired state targets (the field from the bundled operator CRD's scale
    /// subresource, `spec.replicas` for built-in kinds), the operator autoscaler's fields, and the
    /// rules' pointers. Rules by manager need the cluster; `managerRules` names them.
    public static func reviewFields(of object: DesiredObject, among objects: [DesiredObject], rules: [IgnoreRule]) -> [IgnoredField] {
        var live = LiveObject(identity: object.identity, value: .null)
        for hpa in objects where hpa.identity.group == "autoscaling" && hpa.kind == "HorizontalPodAutoscaler" {
            guard let ref = hpa.value[path: "spec", "scaleTargetRef"], ref["kind"]?.stringValue == object.kind,
                  ref["name"]?.stringValue == object.name, hpa.identity.namespace == object.identity.namespace,
                  (ref["apiVersion"]?.stringValue).map(ObjectIdentity.group(ofAPIVersion:)) ?? "" == object.identity.group else { continue }
            let keys: [String]?
            if builtInScalable.contains("\(object.identity.group)/\(object.kind)") {
                keys = ["spec", "replicas"]
            } else if object.identity.group == KnownKinds.flinkGroup, let path = FlinkSchemas.specReplicasPath(for: object.kind) {
                keys = path.split(separator: ".").map(String.init)
            } else {
                keys = nil
            }
            if let keys { live.ownedElsewhere.append(LiveObject.OwnedField(keys: keys, owner: "HorizontalPodAutoscaler \(hpa.name)")) }
        }
        return fields(of: object, live: live, rules: rules)
    }

    /// The rules by field manager that cover `object`: `kube-controller-manager (Environment prod spec.ignore[1] (...))`.
    public static func managerRules(of object: DesiredObject, rules: [IgnoreRule]) -> [String] {
        rules.filter { $0.matches(object.identity, environment: object.environment) && !$0.managedFieldsManagers.isEmpty }
            .map { "fields owned by \($0.managedFieldsManagers.joined(separator: ", ")) on the cluster (\($0.label))" }
    }
}
