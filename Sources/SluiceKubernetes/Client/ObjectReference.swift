import SluiceYAML

/// Names one Kubernetes object: its apiVersion and kind (which the client maps to a resource),
/// namespace (nil for cluster-scoped objects, or to use the connection's default namespace) and name.
public struct ObjectReference: Sendable, Hashable, CustomStringConvertible {
    /// `group/version` (`apps/v1`) or `v1` for the core group.
    public var apiVersion: String
    /// The kind, e.g. `FlinkDeployment`.
    public var kind: String
    /// The namespace; nil for cluster-scoped kinds (or to mean the connection's default namespace).
    public var namespace: String?
    /// `metadata.name`.
    public var name: String

    /// A reference to `kind` `namespace/name` in `apiVersion`.
    public init(apiVersion: String, kind: String, namespace: String? = nil, name: String) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    /// The reference of a manifest or live object; nil when apiVersion, kind or metadata.name is missing.
    public init?(_ object: Value) {
        guard let apiVersion = object["apiVersion"]?.stringValue, let kind = object["kind"]?.stringValue,
              let name = object[path: "metadata", "name"]?.stringValue, !name.isEmpty else { return nil }
        self.init(apiVersion: apiVersion, kind: kind, namespace: object[path: "metadata", "namespace"]?.stringValue, name: name)
    }

    /// `ConfigMap team-a/settings` or `Namespace team-a`, as messages name objects.
    public var description: String {
        "\(kind) \(namespace.map { "\($0)/" } ?? "")\(name)"
    }

    /// The API group (empty for the core group).
    public var group: String { APIResource.split(apiVersion).group }
}
