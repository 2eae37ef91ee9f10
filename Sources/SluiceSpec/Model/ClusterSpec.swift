import SluiceCore
import SluiceYAML

/// A target cluster (`sluice.dev/v1alpha1 Cluster`): where jobs run and how Sluice reaches it.
///
/// Credentials are only ever referenced (an environment variable, a file, a kubeconfig
/// context, the in-cluster service account); a literal secret in a Cluster is a load error.
public struct ClusterSpec: Sendable, Hashable {
    /// Where the cluster runs; environments patch and policies decide by it.
    public enum Tier: String, Sendable, Hashable, CaseIterable, Codable { case `public`, `private`, edge }

    /// How Sluice applies desired state to the cluster.
    public enum Driver: String, Sendable, Hashable, CaseIterable, Codable { case kubernetes, flink, runtime }

    /// How to reach a Kubernetes API server.
    public struct KubernetesConnection: Sendable, Hashable {
        /// A kubeconfig path; `nil` means `$KUBECONFIG` or `~/.kube/config`, as kubectl does.
        public var kubeconfig: String?
        /// An environment variable that holds the kubeconfig path (takes precedence over `kubeconfig`).
        public var kubeconfigEnv: String?
        public var context: String?
        /// Use the pod's service account instead of a kubeconfig.
        public var inCluster: Bool

        /// `namespaced`: read live state only in the namespaces the desired state and the
        /// environments name (for a service account with rights in those namespaces only).
        /// `cluster` (the default) lists across all namespaces, falling back to namespaced when
        /// the server forbids that.
        public var scope: Scope = .cluster
        /// How pruned objects' dependents are deleted; kubectl's default is background.
        public var deletePropagation: DeletePropagation = .background
        /// The namespace of the Lease that keeps a second Sluice (on any host) off the cluster
        /// while one syncs it; `nil` means `default`.
        public var lockNamespace: String?

        public enum Scope: String, Sendable, Hashable, CaseIterable { case cluster, namespaced }
        public enum DeletePropagation: String, Sendable, Hashable, CaseIterable {
            case background = "Background", foreground = "Foreground", orphan = "Orphan"
        }

        public init(kubeconfig: String? = nil, kubeconfigEnv: String? = nil, context: String? = nil, inCluster: Bool = false,
                    scope: Scope = .cluster, deletePropagation: DeletePropagation = .background, lockNamespace: String? = nil) {
            self.lockNamespace = lockNamespace
            self.kubeconfig = kubeconfig
            self.kubeconfigEnv = kubeconfigEnv
            self.context = context
            self.inCluster = inCluster
            self.scope = scope
            self.deletePropagation = deletePropagation
        }
    }

    /// How to reach a Flink session cluster's REST API.
    public struct FlinkConnection: Sendable, Hashable {
        public var url: String
        public var bearerToken: SecretReference?
        public var caFile: String?
    }

    /// How to reach the bundled runtime: in this process, or over its HTTP API on another host.
    public struct RuntimeConnection: Sendable, Hashable {
        /// `nil` means embedded in the Sluice process.
        public var url: String?
        public var token: SecretReference?
        /// Where the embedded runtime keeps its state; `nil` uses Sluice's state directory.
        public var stateDirectory: String?
        public var embedded: Bool { url == nil }

        public init(url: String? = nil, token: SecretReference? = nil, stateDirectory: String? = nil) {
            self.url = url
            self.token = token
            self.stateDirectory = stateDirectory
        }
    }

    public var name: String
    public var labels: [String: String]
    public var tier: Tier
    public var driver: Driver
    public var kubernetes: KubernetesConnection?
    public var flink: FlinkConnection?
    public var runtime: RuntimeConnection?
    /// Fields of every object on this cluster that Sluice leaves to others (`spec.ignore`).
    public var ignore: [IgnoreRule] = []
    public var location: SourceLocation

    public init(name: String, labels: [String: String], tier: Tier, driver: Driver, kubernetes: KubernetesConnection?,
                flink: FlinkConnection?, runtime: RuntimeConnection?, location: SourceLocation) {
        self.name = name
        self.labels = labels
        self.tier = tier
        self.driver = driver
        self.kubernetes = kubernetes
        self.flink = flink
        self.runtime = runtime
        self.location = location
    }

    /// The labels environments select clusters by: the Cluster's own labels plus
    /// `sluice.dev/cluster`, `sluice.dev/tier` and `sluice.dev/driver`.
    public var selectorLabels: [String: String] {
        var all = labels
        all["sluice.dev/cluster"] = name
        all["sluice.dev/tier"] = tier.rawValue
        all["sluice.dev/driver"] = driver.rawValue
        return all
    }
}

extension ClusterSpec {
    static let specFields = ["tier", "driver", "kubernetes", "flink", "runtime", "ignore"]

    /// Decodes and validates a Cluster document; problems are appended to `reader`.
    static func decode(_ object: SpecObject, _ reader: inout FieldReader) -> ClusterSpec? {
        let root = object.value
        let spec = reader.map(root["spec"], "spec", required: true, parent: root)
        if let spec { reader.rejectUnknownKeys(spec, "spec", known: specFields) }
        let specValue = root["spec"]
        let tier = reader.oneOf(specValue?["tier"], "spec.tier", Tier.self, required: true, parent: specValue)
        let driver = reader.oneOf(specValue?["driver"], "spec.driver", Driver.self, required: true, parent: specValue)
        let labels = reader.stringMap(root[path: "metadata", "labels"], "metadata.labels")

        var kubernetes: KubernetesConnection?
        var flink: FlinkConnection?
        var runtime: RuntimeConnection?
        if let block = specValue?["kubernetes"], let map = reader.map(block, "spec.kubernetes") {
            reader.rejectUnknownKeys(map, "spec.kubernetes", known: ["kubeconfig", "kubeconfigEnv", "context", "inCluster", "scope", "deletePropagation", "lockNamespace"])
            let lockNamespace = reader.string(block["lockNamespace"], "spec.kubernetes.lockNamespace")
            if let lockNamespace, let problem = Names.dns1123LabelProblem(lockNamespace) {
                reader.error(block["lockNamespace"], "spec.kubernetes.lockNamespace: \(problem)")
            }
            kubernetes = KubernetesConnection(
                kubeconfig: reader.string(block["kubeconfig"], "spec.kubernetes.kubeconfig"),
                kubeconfigEnv: reader.string(block["kubeconfigEnv"], "spec.kubernetes.kubeconfigEnv"),
                context: reader.string(block["context"], "spec.kubernetes.context"),
                inCluster: reader.bool(block["inCluster"], "spec.kubernetes.inCluster") ?? false,
                scope: reader.oneOf(block["scope"], "spec.kubernetes.scope", KubernetesConnection.Scope.self) ?? .cluster,
                deletePropagation: reader.oneOf(block["deletePropagation"], "spec.kubernetes.deletePropagation",
                                                KubernetesConnection.DeletePropagation.self) ?? .background,
                lockNamespace: lockNamespace)
        }
        if let block = specValue?["flink"], let map = reader.map(block, "spec.flink") {
            reader.rejectUnknownKeys(map, "spec.flink", known: ["url", "bearerToken", "caFile"])
            if let url = reader.string(block["url"], "spec.flink.url", required: true, parent: block) {
                flink = FlinkConnection(
                    url: url,
                    bearerToken: secretReference(block["bearerToken"], "spec.flink.bearerToken", &reader),
                    caFile: reader.string(block["caFile"], "spec.flink.caFile"))
            }
        }
        if let block = specValue?["runtime"], let map = reader.map(block, "spec.runtime") {
            reader.rejectUnknownKeys(map, "spec.runtime", known: ["url", "token", "stateDirectory"])
            runtime = RuntimeConnection(
                url: reader.string(block["url"], "spec.runtime.url"),
                token: secretReference(block["token"], "spec.runtime.token", &reader),
                stateDirectory: reader.string(block["stateDirectory"], "spec.runtime.stateDirectory"))
        }

        let ignore = IgnoreRule.decodeList(specValue?["ignore"], origin: "Cluster \(object.name)", environment: nil,
                                           fallback: object.location, &reader)
        guard let tier, let driver else { return nil }
        switch driver {
        case .kubernetes where kubernetes == nil:
            kubernetes = KubernetesConnection(kubeconfig: nil, kubeconfigEnv: nil, context: nil, inCluster: false)
        case .flink where flink == nil:
            reader.error(specValue, "spec.flink: required when spec.driver is flink",
                         hint: "add spec.flink.url, the Flink REST endpoint, e.g. http://flink-jobmanager:8081")
            return nil
        case .runtime where runtime == nil:
            runtime = RuntimeConnection(url: nil, token: nil, stateDirectory: nil)
        default:
            break
        }
        for (block, name) in [(kubernetes != nil, "kubernetes"), (flink != nil, "flink"), (runtime != nil, "runtime")]
        where block && name != driver.rawValue && specValue?[name] != nil {
            reader.warning(specValue?[name], "spec.\(name): ignored because spec.driver is \(driver.rawValue)")
        }
        var cluster = ClusterSpec(
            name: object.name, labels: labels, tier: tier, driver: driver,
            kubernetes: kubernetes, flink: flink, runtime: runtime, location: object.location)
        cluster.ignore = ignore
        return cluster
    }

    /// `{env: NAME}` or `{file: PATH}`; a plain string is refused, because it would be a secret in Git.
    static func secretReference(_ value: Value?, _ path: String, _ reader: inout FieldReader) -> SecretReference? {
        guard let value, !value.isNull else { return nil }
        if value.stringValue != nil {
            reader.error(value, "\(path): a secret must not be written into Git",
                         hint: "reference it instead: \(path): {env: VARIABLE_NAME} or {file: /path/to/token}")
            return nil
        }
        guard let map = reader.map(value, path) else { return nil }
        reader.rejectUnknownKeys(map, path, known: ["env", "file"])
        let env = reader.string(value["env"], "\(path).env")
        let file = reader.string(value["file"], "\(path).file")
        switch (env, file) {
        case let (env?, nil): return .environment(env)
        case let (nil, file?): return .file(file)
        default:
            reader.error(value, "\(path): set exactly one of env or file")
            return nil
        }
    }
}
