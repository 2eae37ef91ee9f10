import SluiceCore
import SluiceYAML

/// One object Sluice wants on one cluster, ready for a driver: placed in its environment's
/// namespace, patched, and stamped with ownership marks.
///
/// Its fields live in one `CopyOnWrite` box: rendering, diffing and planning copy objects by the
/// ten thousand, and a copy is then one reference count rather than one per string (on two cores
/// those counts were a fifth of `sluice check`'s time at 10,000 jobs).
public struct DesiredObject: Sendable {
    private struct Fields: Sendable {
        var cluster: String
        var environment: String
        var identity: ObjectIdentity
        var value: Value
        var source: SourceLocation
        var specHash: String
        var revision: String?
    }

    private var fields: CopyOnWrite<Fields>

    public var cluster: String {
        get { fields.value.cluster }
        set { fields.value.cluster = newValue }
    }

    public var environment: String {
        get { fields.value.environment }
        set { fields.value.environment = newValue }
    }

    public var identity: ObjectIdentity {
        get { fields.value.identity }
        set { fields.value.identity = newValue }
    }

    public var value: Value {
        get { fields.value.value }
        _modify { yield &fields.value.value }
    }

    /// Where the source document starts in the spec repository.
    public var source: SourceLocation {
        get { fields.value.source }
        set { fields.value.source = newValue }
    }

    /// SHA-256 of the rendered object without the revision marks: equal hashes mean equal intent.
    public var specHash: String {
        get { fields.value.specHash }
        set { fields.value.specHash = newValue }
    }

    /// The revision of the specs it was rendered from, also stamped on `value` for people reading
    /// the cluster; `nil` when not known (a previous spec put back, whose live object names none).
    public var revision: String? {
        get { fields.value.revision }
        set { fields.value.revision = newValue }
    }

    public var kind: String { identity.kind }
    public var name: String { identity.name }

    public init(cluster: String, environment: String, identity: ObjectIdentity, value: Value, source: SourceLocation, specHash: String,
                revision: String? = nil) {
        fields = CopyOnWrite(Fields(cluster: cluster, environment: environment, identity: identity, value: value, source: source,
                                    specHash: specHash, revision: revision))
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
