import SluiceCore
import SluiceYAML

/// Fields Sluice leaves to someone else, as Argo CD's `ignoreDifferences` does: an Environment's or
/// a Cluster's `spec.ignore` entries. A rule selects objects by group, kind, name and namespace,
/// and names fields by JSON pointer (`/spec/replicas`) or by the field managers that own them on the
/// cluster (`kube-controller-manager`). Ignored fields are never drift, never healed, and after an
/// object exists Sluice keeps their live values when it applies it.
public struct IgnoreRule: Sendable, Hashable {
    /// The API group; `nil` matches any group, `""` only the core group.
    public var group: String?
    public var kind: String
    /// `nil` matches every name.
    public var name: String?
    /// `nil` matches every namespace.
    public var namespace: String?
    public var jsonPointers: [JSONPointer]
    public var managedFieldsManagers: [String]
    /// Where the rule is written, and of which Environment or Cluster: `Environment production`.
    public var origin: String
    /// The environment whose objects the rule covers; `nil` for a Cluster's rule (every object on it).
    public var environment: String?
    public var location: SourceLocation

    public init(group: String? = nil, kind: String, name: String? = nil, namespace: String? = nil,
                jsonPointers: [JSONPointer] = [], managedFieldsManagers: [String] = [],
                origin: String, environment: String? = nil, location: SourceLocation) {
        self.group = group
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.jsonPointers = jsonPointers
        self.managedFieldsManagers = managedFieldsManagers
        self.origin = origin
        self.environment = environment
        self.location = location
    }

    /// Whether the rule covers `identity`, placed by `environment`.
    public func matches(_ identity: ObjectIdentity, environment objectEnvironment: String) -> Bool {
        if let environment, environment != objectEnvironment { return false }
        if let group, group != identity.group { return false }
        if kind != identity.kind { return false }
        if let name, name != identity.name { return false }
        if let namespace, namespace != identity.namespace { return false }
        return true
    }

    /// `Environment production spec.ignore[0] (envs/production.yaml:12:5)`, for plan and check lines.
    public var label: String { "\(origin) (\(location))" }

    static let fields = ["group", "kind", "name", "namespace", "jsonPointers", "managedFieldsManagers"]
    /// Pointers that would hide what the object is, not a field of it.
    static let identityFields: Set<[String]> = [[], ["apiVersion"], ["kind"], ["metadata"], ["metadata", "name"], ["metadata", "namespace"]]

    /// Decodes `spec.ignore` of an Environment or a Cluster; problems are appended to `reader`.
    static func decodeList(_ value: Value?, origin: String, environment: String?, fallback: SourceLocation,
                           _ reader: inout FieldReader) -> [IgnoreRule] {
        guard let value, !value.isNull else { return [] }
        guard let items = value.listValue else {
            reader.error(value, "spec.ignore: expected a list, found \(value.typeName)",
                         hint: "list rules such as - {kind: FlinkDeployment, jsonPointers: [/spec/taskManager/replicas]}")
            return []
        }
        var rules: [IgnoreRule] = []
        for (index, item) in items.enumerated() {
            let path = "spec.ignore[\(index)]"
            guard let map = reader.map(item, path) else { continue }
            reader.rejectUnknownKeys(map, path, known: fields)
            let kind = reader.string(item["kind"], "\(path).kind", required: true, parent: item)
            if let kind, kind.isEmpty { reader.error(item["kind"], "\(path).kind: must not be empty") }
            let group = reader.string(item["group"], "\(path).group")
            let name = reader.string(item["name"], "\(path).name")
            let namespace = reader.string(item["namespace"], "\(path).namespace")
            var pointers: [JSONPointer] = []
            for (i, node) in list(item["jsonPointers"], "\(path).jsonPointers", &reader).enumerated() {
                guard let text = reader.string(node, "\(path).jsonPointers[\(i)]") else { continue }
                do {
                    let pointer = try JSONPointer(parsing: text)
                    if Self.identityFields.contains(pointer.tokens) {
                        reader.error(node, "\(path).jsonPointers[\(i)]: \"\(text)\" would ignore the object's identity",
                                     hint: "point at a field, e.g. /spec/replicas or /metadata/annotations/example.com~1owner")
                        continue
                    }
                    pointers.append(pointer)
                } catch {
                    reader.error(node, "\(path).jsonPointers[\(i)]: \(message(of: error))",
                                 hint: "a JSON pointer (RFC 6901) starts with / and writes / in a key as ~1, e.g. /spec/flinkConfiguration/taskmanager.numberOfTaskSlots")
                }
            }
            var managers: [String] = []
            for (i, node) in list(item["managedFieldsManagers"], "\(path).managedFieldsManagers", &reader).enumerated() {
                guard let manager = reader.string(node, "\(path).managedFieldsManagers[\(i)]") else { continue }
                if manager.isEmpty { reader.error(node, "\(path).managedFieldsManagers[\(i)]: must not be empty"); continue }
                managers.append(manager)
            }
            if item["jsonPointers"] == nil, item["managedFieldsManagers"] == nil {
                reader.error(item, "\(path): names no fields",
                             hint: "add jsonPointers (e.g. [/spec/replicas]) or managedFieldsManagers (e.g. [kube-controller-manager])")
            }
            guard let kind, !kind.isEmpty else { continue }
            rules.append(IgnoreRule(group: group, kind: kind, name: name, namespace: namespace, jsonPointers: pointers,
                                    managedFieldsManagers: managers, origin: "\(origin) \(path)", environment: environment,
                                    location: item.location ?? fallback))
        }
        return rules
    }

    private static func list(_ value: Value?, _ path: String, _ reader: inout FieldReader) -> [Value] {
        guard let value, !value.isNull else { return [] }
        guard let items = value.listValue else {
            reader.error(value, "\(path): expected a list, found \(value.typeName)")
            return []
        }
        return items
    }
}
