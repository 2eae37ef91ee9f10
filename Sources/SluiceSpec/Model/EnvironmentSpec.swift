import SluiceCore
import SluiceYAML

/// An environment (`sluice.dev/v1alpha1 Environment`): which jobs run on which clusters, in
/// which namespace, with which per-tier differences, in which rollout wave.
public struct EnvironmentSpec: Sendable {
    /// What happens to live objects that no longer match Git.
    public struct SyncPolicy: Sendable, Hashable {
        /// Delete owned objects that were removed from Git.
        public var prune: Bool = false
        /// Re-apply objects that were changed on the cluster behind Sluice's back.
        public var selfHeal: Bool = false
        /// Go back to the last healthy spec when a wave's health gate fails.
        public var autoRollback: Bool = false

        public init(prune: Bool = false, selfHeal: Bool = false, autoRollback: Bool = false) {
            self.prune = prune
            self.selfHeal = selfHeal
            self.autoRollback = autoRollback
        }
    }

    public var name: String
    public var labels: [String: String]
    /// The namespace of every namespaced object that names none (Argo CD's destination namespace).
    public var namespace: String
    /// Put every namespaced object in `namespace`, even one whose source names its own.
    public var forceNamespace: Bool
    /// Rollout order: every environment of wave N is synced and healthy before wave N+1 starts.
    public var wave: Int
    public var clusterSelector: LabelSelector
    public var jobSelector: LabelSelector
    public var patches: [EnvironmentPatch]
    public var syncPolicy: SyncPolicy
    /// Fields of this environment's objects that Sluice leaves to others (`spec.ignore`).
    public var ignore: [IgnoreRule] = []
    public var location: SourceLocation

    public init(name: String, labels: [String: String] = [:], namespace: String, forceNamespace: Bool = false, wave: Int = 0,
                clusterSelector: LabelSelector,
                jobSelector: LabelSelector, patches: [EnvironmentPatch] = [], syncPolicy: SyncPolicy = .init(), location: SourceLocation) {
        self.name = name
        self.labels = labels
        self.namespace = namespace
        self.forceNamespace = forceNamespace
        self.wave = wave
        self.clusterSelector = clusterSelector
        self.jobSelector = jobSelector
        self.patches = patches
        self.syncPolicy = syncPolicy
        self.location = location
    }
}

/// Which rendered objects a patch applies to; every field that is set must match.
public struct PatchTarget: Sendable {
    public var kind: String?
    public var name: String?
    public var labelSelector: LabelSelector?
    /// Cluster tiers the patch applies on; empty means all.
    public var tiers: [ClusterSpec.Tier]
    /// Cluster names the patch applies on; empty means all.
    public var clusters: [String]

    func matches(kind: String, name: String, labels: [String: String], cluster: ClusterSpec) -> Bool {
        if let k = self.kind, k != kind { return false }
        if let n = self.name, n != name { return false }
        if let selector = labelSelector, !selector.matches(labels) { return false }
        if !tiers.isEmpty, !tiers.contains(cluster.tier) { return false }
        if !clusters.isEmpty, !clusters.contains(cluster.name) { return false }
        return true
    }
}

/// One patch of an environment: a JSON merge patch (RFC 7386) or a JSON patch (RFC 6902).
public struct EnvironmentPatch: Sendable {
    public enum Operation: Sendable {
        case merge(Value)
        case json(JSONPatch)
    }

    public var target: PatchTarget
    public var operation: Operation
    public var location: SourceLocation
}

extension EnvironmentSpec {
    static let specFields = ["namespace", "forceNamespace", "wave", "clusters", "jobs", "patches", "syncPolicy", "ignore"]

    /// Decodes and validates an Environment document; problems are appended to `reader`.
    static func decode(_ object: SpecObject, _ reader: inout FieldReader) -> EnvironmentSpec? {
        let root = object.value
        guard let specValue = root["spec"], let spec = reader.map(specValue, "spec", required: true, parent: root) else {
            if root["spec"] == nil { reader.error(root, "spec: required field is missing") }
            return nil
        }
        reader.rejectUnknownKeys(spec, "spec", known: specFields)
        let labels = reader.stringMap(root[path: "metadata", "labels"], "metadata.labels")
        let namespace = reader.string(specValue["namespace"], "spec.namespace", required: true, parent: specValue)
        if let namespace, let problem = Names.dns1123LabelProblem(namespace) {
            reader.error(specValue["namespace"], "spec.namespace: \(problem)")
        }
        let forceNamespace = reader.bool(specValue["forceNamespace"], "spec.forceNamespace") ?? false
        let wave = reader.int(specValue["wave"], "spec.wave", minimum: 0) ?? 0
        let clusters = selector(specValue["clusters"], "spec.clusters", &reader)
        let jobs = selector(specValue["jobs"], "spec.jobs", &reader)
        if specValue["clusters"] == nil {
            reader.error(specValue, "spec.clusters: required field is missing",
                         hint: "select the clusters of this environment by label, e.g. clusters: {matchLabels: {stage: production}}")
        }

        var patches: [EnvironmentPatch] = []
        if let list = specValue["patches"] {
            if let items = list.listValue {
                for (i, item) in items.enumerated() {
                    if let patch = decodePatch(item, "spec.patches[\(i)]", fallback: object.location, &reader) {
                        patches.append(patch)
                    }
                }
            } else if !list.isNull {
                reader.error(list, "spec.patches: expected a list, found \(list.typeName)")
            }
        }

        var policy = SyncPolicy()
        if let block = specValue["syncPolicy"], let map = reader.map(block, "spec.syncPolicy") {
            reader.rejectUnknownKeys(map, "spec.syncPolicy", known: ["prune", "selfHeal", "autoRollback"])
            policy.prune = reader.bool(block["prune"], "spec.syncPolicy.prune") ?? false
            policy.selfHeal = reader.bool(block["selfHeal"], "spec.syncPolicy.selfHeal") ?? false
            policy.autoRollback = reader.bool(block["autoRollback"], "spec.syncPolicy.autoRollback") ?? false
        }

        let ignore = IgnoreRule.decodeList(specValue["ignore"], origin: "Environment \(object.name)", environment: object.name,
                                           fallback: object.location, &reader)

        guard let namespace, let clusters, let jobs else { return nil }
        var environment = EnvironmentSpec(
            name: object.name, labels: labels, namespace: namespace, forceNamespace: forceNamespace, wave: wave,
            clusterSelector: clusters, jobSelector: jobs, patches: patches, syncPolicy: policy,
            location: object.location)
        environment.ignore = ignore
        return environment
    }

    /// A label selector; an absent one selects everything.
    static func selector(_ value: Value?, _ path: String, _ reader: inout FieldReader) -> LabelSelector? {
        guard let value, !value.isNull else { return LabelSelector() }
        do {
            return try LabelSelector(value)
        } catch let error as DiagnosticError {
            for d in error.diagnostics {
                reader.error(Value(.null, at: d.location), "\(path): \(d.message)", hint: d.hint)
            }
        } catch {
            reader.error(value, "\(path): \(error)")
        }
        return nil
    }

    static func decodePatch(_ item: Value, _ path: String, fallback: SourceLocation, _ reader: inout FieldReader) -> EnvironmentPatch? {
        guard let map = reader.map(item, path) else { return nil }
        reader.rejectUnknownKeys(map, path, known: ["target", "merge", "jsonPatch"])
        var target = PatchTarget(kind: nil, name: nil, labelSelector: nil, tiers: [], clusters: [])
        if let t = item["target"], let tmap = reader.map(t, "\(path).target") {
            reader.rejectUnknownKeys(tmap, "\(path).target", known: ["kind", "name", "labelSelector", "tier", "cluster"])
            target.kind = reader.string(t["kind"], "\(path).target.kind")
            target.name = reader.string(t["name"], "\(path).target.name")
            if let s = t["labelSelector"] { target.labelSelector = selector(s, "\(path).target.labelSelector", &reader) }
            target.tiers = stringOrList(t["tier"], "\(path).target.tier", &reader).compactMap { raw in
                if let tier = ClusterSpec.Tier(rawValue: raw) { return tier }
                reader.error(t["tier"], "\(path).target.tier: unsupported value \"\(raw)\"; expected one of: public, private, edge")
                return nil
            }
            target.clusters = stringOrList(t["cluster"], "\(path).target.cluster", &reader)
        }
        let location = item.location ?? fallback
        switch (item["merge"], item["jsonPatch"]) {
        case let (merge?, nil):
            guard reader.map(merge, "\(path).merge") != nil else { return nil }
            return EnvironmentPatch(target: target, operation: .merge(merge), location: location)
        case let (nil, ops?):
            do {
                return EnvironmentPatch(target: target, operation: .json(try JSONPatch(ops)), location: location)
            } catch {
                reader.error(ops, "\(path).jsonPatch: \(message(of: error))")
                return nil
            }
        default:
            reader.error(item, "\(path): set exactly one of merge (a JSON merge patch) or jsonPatch (RFC 6902 operations)")
            return nil
        }
    }

    static func stringOrList(_ value: Value?, _ path: String, _ reader: inout FieldReader) -> [String] {
        guard let value, !value.isNull else { return [] }
        if let s = value.stringValue { return [s] }
        guard let list = value.listValue else {
            reader.error(value, "\(path): expected a string or a list of strings, found \(value.typeName)")
            return []
        }
        return list.compactMap { reader.string($0, path) }
    }
}

/// The message of an error without its location prefix, for nesting into another diagnostic.
func message(of error: any Error) -> String {
    (error as? any SluiceError)?.message ?? "\(error)"
}
