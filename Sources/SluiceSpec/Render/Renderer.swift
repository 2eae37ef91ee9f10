import SluiceCore
import SluiceYAML

/// Renders the desired state of each cluster from a `SpecSet`: a pure function of its input.
///
/// For every environment (in wave order), every cluster its cluster selector matches and every
/// workload its job selector matches: set the namespace, apply the environment's targeted
/// patches in order, stamp the ownership marks, and check that no two sources claim one identity.
public struct Renderer: Sendable {
    /// Only render these clusters; `nil` renders all.
    public var clusters: Set<String>?
    /// Only render these environments; `nil` renders all.
    public var environments: Set<String>?

    public init(clusters: Set<String>? = nil, environments: Set<String>? = nil) {
        self.clusters = clusters
        self.environments = environments
    }

    /// - Throws: `DiagnosticError` when a patch fails, a patched Flink object breaks its schema, or
    ///   two sources render to one identity; `UnknownNameError` when a filter names nothing.
    public func render(_ specs: SpecSet) throws -> DesiredState {
        var states: [ClusterDesiredState] = []
        try renderEach(specs) { states.append($0) }
        return DesiredState(revision: specs.revision, clusters: states)
    }

    /// Renders one cluster at a time, in cluster order, and hands each to `body` as soon as it is
    /// rendered, so a caller that writes them out need not hold them all (`sluice render`).
    ///
    /// Every check of `render` is a check within one cluster, so each cluster is complete and
    /// checked when `body` sees it. After the first cluster with an error `body` sees no more
    /// clusters, but the rest are still rendered so that the error names every problem.
    ///
    /// - Throws: what `render` throws, after `body` has seen the clusters before the first error.
    public func renderEach(_ specs: SpecSet, _ body: (ClusterDesiredState) throws -> Void) throws {
        var diagnostics: [Diagnostic] = []
        try checkFilters(specs)
        let selected = specs.environments.filter { environments?.contains($0.name) ?? true }
        // Each environment's workloads, selected once rather than once per cluster.
        let workloadsOf = selected.map { environment in specs.workloads.filter { environment.jobSelector.matches($0.labels) } }
        for cluster in specs.clusters where clusters?.contains(cluster.name) ?? true {
            var objects: [DesiredObject] = []
            var environmentNames: [String] = []
            var claimed: [ObjectIdentity: DesiredObject] = [:]
            for (environment, workloads) in zip(selected, workloadsOf)
            where environment.clusterSelector.matches(cluster.selectorLabels) {
                environmentNames.append(environment.name)
                for workload in workloads where workload.isPlaced(on: cluster) {
                    guard let object = place(workload, in: environment, on: cluster, revision: specs.revision, &diagnostics)
                    else { continue }
                    if let other = claimed[object.identity] {
                        let otherWorkload = specs.workloads.first { $0.location == other.source }
                        diagnostics.append(Self.renderedTwice(object, from: workload, in: environment, other: other,
                                                              otherWorkload: otherWorkload, specs: specs))
                        continue
                    }
                    claimed[object.identity] = object
                    objects.append(object)
                }
            }
            checkSessionJobs(objects, &diagnostics)
            if diagnostics.contains(where: { $0.severity == .error }) { continue }

            objects.sort { a, b in
                let (ra, rb) = (ApplyOrder.rank(of: a.value, kind: a.kind), ApplyOrder.rank(of: b.value, kind: b.kind))
                return ra != rb ? ra < rb : a.identity < b.identity
            }
            let rules = cluster.ignore + environmentNames.flatMap { specs.environment(named: $0)?.ignore ?? [] }
            try body(ClusterDesiredState(cluster: cluster, environments: environmentNames, objects: objects, ignoreRules: rules))
        }
        if diagnostics.contains(where: { $0.severity == .error }) { throw DiagnosticError(diagnostics) }
    }

    /// Two sources claim one identity on a cluster: name both, and say where the shared namespace comes from.
    static func renderedTwice(_ object: DesiredObject, from workload: SpecObject, in environment: EnvironmentSpec,
                              other: DesiredObject, otherWorkload: SpecObject?, specs: SpecSet) -> Diagnostic {
        let namespace = object.identity.namespace ?? ""
        func origin(_ source: SpecObject?, _ environmentName: String) -> String {
            guard let source else { return "Environment \(environmentName)" }
            let forced = specs.environment(named: environmentName)?.forceNamespace == true
            if let own = source.namespace, !forced { return "its own metadata.namespace \(own)" }
            return "Environment \(environmentName)'s spec.namespace\(forced ? " (forceNamespace)" : "")"
        }
        let message = "\(object.identity) on cluster \(object.cluster) is rendered twice: from \(workload.location) "
            + "(Environment \(environment.name), namespace \(namespace) from \(origin(workload, environment.name))) and from "
            + "\(other.source) (Environment \(other.environment), namespace \(namespace) from \(origin(otherWorkload, other.environment)))"
        let hint: String
        if workload.location == other.source {
            hint = "the job is selected by both environments and lands in the same namespace; give the environments different namespaces, or select the job in only one of them"
        } else if workload.name == otherWorkload?.name, workload.kind == otherWorkload?.kind {
            hint = "two documents define \(workload.kind) \(workload.name) for namespace \(namespace); rename one, or give it a different metadata.namespace"
        } else {
            hint = "a patch renames one of them onto the other; fix the patch or the names"
        }
        return Diagnostic(.error, at: workload.location, message, hint: hint)
    }

    /// A session job runs on a session cluster, so that FlinkDeployment must be placed on the same
    /// cluster, in the same namespace.
    private func checkSessionJobs(_ objects: [DesiredObject], _ diagnostics: inout [Diagnostic]) {
        let deployments = Set(objects.filter { $0.kind == "FlinkDeployment" }.map { "\($0.identity.namespace ?? "")/\($0.name)" })
        for job in objects where job.kind == "FlinkSessionJob" {
            guard let target = job.value[path: "spec", "deploymentName"]?.stringValue,
                  !deployments.contains("\(job.identity.namespace ?? "")/\(target)") else { continue }
            diagnostics.append(Diagnostic(.error, at: job.value[path: "spec", "deploymentName"]?.location ?? job.source,
                "FlinkSessionJob \(job.name) runs on session cluster \(target), which is not placed on cluster \(job.cluster) in namespace \(job.identity.namespace ?? "-") (environment \(job.environment))",
                hint: "place both on the same clusters: give them the same sluice.dev/cluster-selector and environment"))
        }
    }

    private func checkFilters(_ specs: SpecSet) throws {
        for name in (clusters ?? []).sorted() where specs.cluster(named: name) == nil {
            throw UnknownNameError(kind: "Cluster", name: name, known: specs.clusters.map(\.name))
        }
        for name in (environments ?? []).sorted() where specs.environment(named: name) == nil {
            throw UnknownNameError(kind: "Environment", name: name, known: specs.environments.map(\.name))
        }
    }

    /// One workload placed in one environment on one cluster; `nil` (with a diagnostic) when a patch fails.
    private func place(
        _ workload: SpecObject, in environment: EnvironmentSpec, on cluster: ClusterSpec, revision: String,
        _ diagnostics: inout [Diagnostic]
    ) -> DesiredObject? {
        var value = FlinkConfiguration.canonical(workload.value)
        let namespaced = !KnownKinds.isClusterScoped(kind: workload.kind)
        // Argo CD's rule: the environment's namespace fills in objects that name none; an explicit
        // namespace stays unless the environment forces its own on everything.
        let ownNamespace = workload.namespace
        if namespaced, environment.forceNamespace || ownNamespace == nil {
            Ownership.setMetadataField(&value, "namespace", .string(environment.namespace))
        }

        var patched = false
        for patch in environment.patches
        where patch.target.matches(kind: workload.kind, name: workload.name, labels: workload.labels, cluster: cluster) {
            switch patch.operation {
            case .merge(let merge):
                value = FlinkConfiguration.mergePatch(merge, into: value)
            case .json(let operations):
                do {
                    value = FlinkConfiguration.canonical(try operations.apply(to: value))
                } catch {
                    diagnostics.append(Diagnostic(.error, at: (error as? any SluiceError)?.location ?? patch.location,
                        "patch of Environment \(environment.name) cannot be applied to \(workload.kind) \(workload.name) on cluster \(cluster.name): \(message(of: error))",
                        hint: "fix the patch's path, or narrow its target"))
                    return nil
                }
            }
            patched = true
        }
        if patched, let schema = FlinkSchemas.schema(for: workload.kind), workload.group == KnownKinds.flinkGroup {
            let problems = schema.validate(value)
            if !problems.isEmpty {
                for problem in problems {
                    diagnostics.append(Diagnostic(.error, at: problem.location ?? workload.location,
                        "after the patches of Environment \(environment.name) for cluster \(cluster.name): \(problem.message)",
                        hint: problem.hint ?? "fix the patch in \(environment.location.file)"))
                }
                return nil
            }
        }

        Ownership.stampLabels(&value, environment: environment.name)
        let name = value[path: "metadata", "name"]?.stringValue ?? workload.name
        let namespace = namespaced ? (value[path: "metadata", "namespace"]?.stringValue ?? environment.namespace) : nil
        let identity = ObjectIdentity(group: workload.group, kind: workload.kind, namespace: namespace, name: name)
        let hash = Ownership.specHash(of: value)
        Ownership.stampSource(&value, revision: revision,
                              source: "\(workload.location.file):\(workload.location.line)", specHash: hash)
        return DesiredObject(cluster: cluster.name, environment: environment.name, identity: identity,
                             value: value, source: workload.location, specHash: hash, revision: revision)
    }
}

/// A filter names a cluster or environment the specs do not define.
public struct UnknownNameError: SluiceError {
    public var kind: String
    public var name: String
    public var known: [String]

    public var message: String { "no \(kind) named \(name)" }
    public var hint: String? { "known: \(known.isEmpty ? "none" : known.joined(separator: ", "))" }
}

extension Ownership {
    /// Sets `metadata.<field>` to a scalar.
    static func setMetadataField(_ object: inout Value, _ field: String, _ value: Value) {
        guard case .map(var root) = object.kind else { return }
        var metadata = root["metadata"]?.mapValue ?? Mapping()
        metadata[field] = Value(value.kind, at: metadata[field]?.location)
        root["metadata"] = Value(.map(metadata), at: root["metadata"]?.location)
        object.kind = .map(root)
    }
}
