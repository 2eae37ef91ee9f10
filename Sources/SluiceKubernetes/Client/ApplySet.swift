import Crypto
import Foundation
import SluiceCore
import SluiceYAML

/// An ApplySet (KEP-3659, as `kubectl apply --prune --applyset` implements it): a parent object
/// labelled `applyset.kubernetes.io/id`, and member objects labelled
/// `applyset.kubernetes.io/part-of` with the same id. Pruning deletes only members of the set, so
/// two tools (or two Sluice instances, clusters or environments) on one API server never delete
/// each other's objects.
///
/// Sluice's parent is a ConfigMap (one of the kinds the KEP allows; kubectl's default is a
/// Secret, but reading Secrets is a right Sluice should not need) in the environment's namespace.
public struct ApplySet: Sendable, Hashable {
    public static let idLabel = "applyset.kubernetes.io/id"
    public static let partOfLabel = "applyset.kubernetes.io/part-of"
    public static let toolingAnnotation = "applyset.kubernetes.io/tooling"
    public static let groupKindsAnnotation = "applyset.kubernetes.io/contains-group-kinds"
    public static let additionalNamespacesAnnotation = "applyset.kubernetes.io/additional-namespaces"
    /// `<toolname>/<semver>`, as the KEP asks; the version is that of Sluice's parent layout.
    public static let tooling = "sluice/v1"
    /// Finds the parents of one Sluice instance on one cluster (value: `scope(instance:cluster:)`).
    public static let scopeLabel = "sluice.dev/applyset-scope"
    public static let instanceAnnotation = "sluice.dev/instance"
    public static let clusterAnnotation = "sluice.dev/cluster"
    public static let environmentAnnotation = "sluice.dev/environment"

    /// The parent object's namespace and name.
    public var namespace: String
    public var name: String
    /// Which Sluice instance, Cluster and Environment the set belongs to.
    public var instance: String
    public var cluster: String
    public var environment: String

    /// The set of `instance`'s objects of `environment` on `cluster`, with its parent in `namespace`.
    public init(instance: String, cluster: String, environment: String, namespace: String) {
        self.instance = instance
        self.cluster = cluster
        self.environment = environment
        self.namespace = namespace
        name = Self.parentName(instance: instance, cluster: cluster, environment: environment)
    }

    /// The id, computed as kubectl computes it from the parent's group, kind, name and namespace:
    /// `applyset-` + base64url (no padding) of SHA-256 of `<name>.<namespace>.<kind>.<group>` + `-v1`.
    public var id: String { Self.id(name: name, namespace: namespace, kind: "ConfigMap", group: "") }

    public static func id(name: String, namespace: String, kind: String, group: String) -> String {
        let digest = SHA256.hash(data: Data([name, namespace, kind, group].joined(separator: ".").utf8))
        let base64 = Data(digest).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return "applyset-\(base64)-v1"
    }

    /// A label value naming one instance on one cluster, to list its parents in one request.
    public static func scope(instance: String, cluster: String) -> String {
        let digest = SHA256.hash(data: Data("\(instance)\n\(cluster)".utf8))
        return "s" + digest.prefix(20).map { String(format: "%02x", $0) }.joined()
    }

    /// `sluice.<instance>.<cluster>.<environment>` as a DNS subdomain; parts that are not DNS
    /// labels are cleaned and the name gets a hash of the original parts, so it stays unique.
    static func parentName(instance: String, cluster: String, environment: String) -> String {
        let parts = [instance, cluster, environment]
        let cleaned = parts.map { part -> String in
            var text = String(part.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) || $0 == "-" ? $0 : "-" })
            while text.hasPrefix("-") { text.removeFirst() }
            while text.hasSuffix("-") { text.removeLast() }
            return text.isEmpty ? "x" : String(text.prefix(60))
        }
        var name = "sluice." + cleaned.joined(separator: ".")
        if cleaned != parts {
            let digest = SHA256.hash(data: Data(parts.joined(separator: "\n").utf8))
            name += "." + digest.prefix(5).map { String(format: "%02x", $0) }.joined()
        }
        return name
    }

    /// The parent ConfigMap with the given group-kinds (`Kind.group`, `Kind` for the core group)
    /// and the namespaces of members outside the parent's own.
    public func parent(groupKinds: Set<String>, namespaces: Set<String>) -> Value {
        var labels = Mapping()
        labels[Self.idLabel] = .string(id)
        labels[Self.scopeLabel] = .string(Self.scope(instance: instance, cluster: cluster))
        var annotations = Mapping()
        annotations[Self.toolingAnnotation] = .string(Self.tooling)
        annotations[Self.groupKindsAnnotation] = .string(groupKinds.sorted().joined(separator: ","))
        let additional = namespaces.subtracting([namespace]).sorted()
        if !additional.isEmpty { annotations[Self.additionalNamespacesAnnotation] = .string(additional.joined(separator: ",")) }
        annotations[Self.instanceAnnotation] = .string(instance)
        annotations[Self.clusterAnnotation] = .string(cluster)
        annotations[Self.environmentAnnotation] = .string(environment)
        var metadata = Mapping()
        metadata["name"] = .string(name)
        metadata["namespace"] = .string(namespace)
        metadata["labels"] = .map(labels)
        metadata["annotations"] = .map(annotations)
        return ["apiVersion": "v1", "kind": "ConfigMap", "metadata": .map(metadata)]
    }

    /// `Kind.group` as `contains-group-kinds` lists it.
    public static func groupKind(kind: String, group: String) -> String {
        group.isEmpty ? kind : "\(kind).\(group)"
    }

    /// Splits `Kind.group` into (group, kind).
    public static func parseGroupKind(_ text: String) -> (group: String, kind: String)? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        guard let dot = trimmed.firstIndex(of: ".") else { return ("", trimmed) }
        return (String(trimmed[trimmed.index(after: dot)...]), String(trimmed[..<dot]))
    }

    /// A parent found on the cluster, checked: its id label must be the one its own group, kind,
    /// name and namespace give (the KEP's guard against a forged id), and its tooling Sluice's.
    public struct Found: Sendable {
        public var set: ApplySet
        public var groupKinds: Set<String>
        public var namespaces: Set<String>
    }

    public static func found(_ parent: Value) throws -> Found {
        let name = parent[path: "metadata", "name"]?.stringValue ?? ""
        let namespace = parent[path: "metadata", "namespace"]?.stringValue ?? ""
        let label = parent[path: "metadata", "labels", idLabel]?.stringValue ?? ""
        let annotations = parent[path: "metadata", "annotations"]
        let tooling = annotations?[toolingAnnotation]?.stringValue ?? ""
        guard label == id(name: name, namespace: namespace, kind: "ConfigMap", group: "") else {
            throw ApplySetError(parent: "ConfigMap \(namespace)/\(name)",
                                problem: "its \(idLabel) label (\(label)) is not the id of its own name and namespace",
                                hint: "the label was copied or forged; delete the label (or the object) and sync again")
        }
        guard tooling.hasPrefix("sluice/") else {
            throw ApplySetError(parent: "ConfigMap \(namespace)/\(name)", problem: "it is managed by \(tooling.isEmpty ? "an unknown tool" : tooling), not Sluice",
                                hint: "give this Sluice instance another name (SLUICE_INSTANCE) or remove the other tool's ApplySet")
        }
        var set = ApplySet(instance: annotations?[instanceAnnotation]?.stringValue ?? "",
                           cluster: annotations?[clusterAnnotation]?.stringValue ?? "",
                           environment: annotations?[environmentAnnotation]?.stringValue ?? "", namespace: namespace)
        set.name = name
        let kinds = (annotations?[groupKindsAnnotation]?.stringValue ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let extra = (annotations?[additionalNamespacesAnnotation]?.stringValue ?? "").split(separator: ",").map { String($0) }.filter { !$0.isEmpty }
        return Found(set: set, groupKinds: Set(kinds), namespaces: Set(extra + [namespace]))
    }
}

/// An ApplySet parent on the cluster cannot be used.
public struct ApplySetError: SluiceError {
    public var parent: String
    public var problem: String
    public var hint: String?

    public var message: String { "ApplySet parent \(parent) cannot be used: \(problem)" }
}
