import SluiceCore
import SluiceYAML

/// One document of the spec repository, as read: a Kubernetes-style object with
/// `apiVersion`, `kind` and `metadata`, and where it came from.
public struct SpecObject: Sendable {
    public var value: Value
    public var apiVersion: String
    public var kind: String
    public var name: String
    /// The namespace written in the document itself, if any (environments set it at render).
    public var namespace: String?
    /// Where the document starts.
    public var location: SourceLocation
    /// The clusters this workload may be placed on, from its `sluice.dev/cluster-selector`
    /// annotation; `nil` means every cluster its environments select.
    public var placement: LabelSelector?

    public var file: String { location.file }
    public var group: String { ObjectIdentity.group(ofAPIVersion: apiVersion) }
    public var labels: [String: String] { Self.stringMap(value[path: "metadata", "labels"]) }
    public var annotations: [String: String] { Self.stringMap(value[path: "metadata", "annotations"]) }

    /// The identity of the source document itself (before an environment places it).
    public var sourceIdentity: ObjectIdentity {
        ObjectIdentity(group: group, kind: kind, namespace: namespace, name: name)
    }

    public init(value: Value, apiVersion: String, kind: String, name: String, namespace: String?, location: SourceLocation) {
        self.value = value
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.location = location
    }

    /// The annotation that narrows the clusters a workload is placed on.
    public static let placementAnnotation = "sluice.dev/cluster-selector"

    /// Whether this workload goes to `cluster`: its placement matches, and a plain Kubernetes
    /// manifest only ever goes to a Kubernetes cluster (the other drivers run Flink kinds only).
    public func isPlaced(on cluster: ClusterSpec) -> Bool {
        if cluster.driver != .kubernetes, group != KnownKinds.flinkGroup { return false }
        return placement?.matches(cluster.selectorLabels) ?? true
    }

    public static func stringMap(_ value: Value?) -> [String: String] {
        guard let map = value?.mapValue else { return [:] }
        var out: [String: String] = [:]
        for entry in map { if let s = entry.value.stringValue { out[entry.key] = s } }
        return out
    }
}

/// The API groups and kinds Sluice gives a meaning to.
public enum KnownKinds {
    public static let sluiceAPIVersion = "sluice.dev/v1alpha1"
    public static let sluiceGroup = "sluice.dev"
    public static let flinkGroup = "flink.apache.org"
    public static let flinkAPIVersion = "flink.apache.org/v1beta1"
    public static let admissionGroup = "admissionregistration.k8s.io"

    /// Kinds that are not namespaced, so an environment never gives them a namespace.
    public static let clusterScoped: Set<String> = [
        "Namespace", "Node", "PersistentVolume", "StorageClass", "PriorityClass", "RuntimeClass", "IngressClass",
        "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "APIService", "CSIDriver", "CSINode",
        "VolumeAttachment", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "FlowSchema", "PriorityLevelConfiguration",
    ]

    public static func isClusterScoped(kind: String) -> Bool { clusterScoped.contains(kind) }
}
