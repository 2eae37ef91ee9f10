import SluiceCore
import SluiceYAML

/// One object Sluice wants on one cluster, ready for a driver: placed in its environment's
/// namespace, patched, and stamped with ownership marks.
public struct DesiredObject: Sendable {
    public var cluster: String
    public var environment: String
    public var identity: ObjectIdentity
    public var value: Value
    /// Where the source document starts in the spec repository.
    public var source: SourceLocation
    /// SHA-256 of the rendered object without the revision marks: equal hashes mean equal intent.
    public var specHash: String
    /// The revision of the specs it was rendered from, also stamped on `value` for people reading
    /// the cluster; `nil` when not known (a previous spec put back, whose live object names none).
    public var revision: String?

    public var kind: String { identity.kind }
    public var name: String { identity.name }

    public init(cluster: String, environment: String, identity: ObjectIdentity, value: Value, source: SourceLocation, specHash: String,
                revision: String? = nil) {
        self.cluster = cluster
        self.environment = environment
        self.identity = identity
        self.value = value
        self.source = source
        self.specHash = specHash
        self.revision = revision
    }
}

/// Everything Sluice wants on one cluster.
public struct ClusterDesiredState: Sendable {
    public var cluster: ClusterSpec
    /// The environments that place objects on this cluster, in wave order.
    public var environments: [String]
    /// In apply order (see `ApplyOrder`), then by identity.
    public var objects: [DesiredObject]
    /// The Cluster's `spec.ignore` rules and those of the environments placing objects on it.
    public var ignoreRules: [IgnoreRule]

    public init(cluster: ClusterSpec, environments: [String], objects: [DesiredObject], ignoreRules: [IgnoreRule]? = nil) {
        self.cluster = cluster
        self.environments = environments
        self.objects = objects
        self.ignoreRules = ignoreRules ?? cluster.ignore
    }
}

/// The desired state of every cluster at one revision: what `sluice render` prints.
public struct DesiredState: Sendable {
    public var revision: String
    /// Sorted by cluster name.
    public var clusters: [ClusterDesiredState]

    public var objectCount: Int { clusters.reduce(0) { $0 + $1.objects.count } }

    public init(revision: String, clusters: [ClusterDesiredState]) {
        self.revision = revision
        self.clusters = clusters
    }
}

/// The order objects are applied in, so that what an object needs exists before it.
public enum ApplyOrder {
    /// Lower ranks go first.
    public static func rank(of object: Value, kind: String) -> Int {
        switch kind {
        case "Namespace": 0
        case "ServiceAccount", "ConfigMap", "Secret": 1
        case "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding": 2
        case "FlinkDeployment": object[path: "spec", "job"] == nil ? 3 : 4
        case "FlinkSessionJob": 5
        case "FlinkBlueGreenDeployment": 4  // its children are application clusters (the template has spec.job)
        case "Service": 6
        case "HorizontalPodAutoscaler": 7
        default: 8
        }
    }
}
