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
    /// Placements rendered for another revision, taken where they are the same, and kept.
    public var reuse: RenderedPlacements?

    public init(clusters: Set<String>? = nil, environments: Set<String>? = nil) {
        self.clusters = clusters
        self.environments = environments
    }

    /// - Throws: `DiagnosticError` when a patch fails, a patched Flink object breaks its schema, or
    ///   two sources render to one identity; `UnknownNameError` when a filter names nothing.
    ///
    /// The clusters are rendered on all cores (each cluster's rendering is independent of the
    /// others'); the state and the diagnostics come out in cluster order, as `renderEach` gives them.
    ///
    /// A workload placed by one environment comes out the same on every cluster whose patches for
    /// it are the same (only messages name the cluster), so each distinct placement is rendered
    /// once and its object shared, storage and spec hash included, by those clusters.
    public func render(_ specs: SpecSet) throws -> DesiredState {
        try checkFilters(specs)
        let plan = Placement(specs, environments: environments)
        let selectedClusters = specs.clusters.filter { clusters?.contains($0.name) ?? true }
        var keys: [PlacementKey] = []
        var representative: [PlacementKey: ClusterSpec] = [:]
        for cluster in selectedClusters {
            plan.forEachPlacement(on: cluster, specs) { key in
                if representative[key] == nil {
                    representative[key] = cluster
                    keys.append(key)
                }
            }
        }
        let firstCluster = representative
        let placedObjects = keys.concurrentMap { key -> DesiredObject? in
            var ignored: [Diagnostic] = []  // a failed placement is rendered again per cluster, for its messages
            return place(key, plan, on: firstCluster[key]!, specs, &ignored)
        }
        var placed: [PlacementKey: DesiredObject] = [:]
        for (key, object) in zip(keys, placedObjects) { placed[key] = object }
        let shared = placed
        let rendered = selectedClusters.concurrentMap { cluster in
            renderCluster(cluster, plan, specs, placed: shared)
        }
        var diagnostics: [Diagnostic] = []
        var states: [ClusterDesiredState] = []
        for (state, found) in rendered {
            diagnostics += found
            if let state { states.append(state) }
        }
        if diagnostics.contains(where: { $0.severity == .error }) { throw DiagnosticError(diagnostics) }
        return DesiredState(revision: specs.revision, clusters: states)
    }

    /// What every cluster's rendering reads of the specs, found once.
    struct Placement: Sendable {
        let selected: [EnvironmentSpec]
        let sources: [SourceLocation: SpecObject]
        /// Read once: selectors and patch targets ask for every workload's labels many times.
        let labels: [[String: String]]
        /// Each environment's workloads, selected once rather than once per cluster.
        let workloadsOf: [[Int]]

        init(_ specs: SpecSet, environments: Set<String>?) {
            selected = specs.environments.filter { environments?.contains($0.name) ?? true }
            sources = Dictionary(specs.workloads.map { ($0.location, $0) }, uniquingKeysWith: { first, _ in first })
            let labels = specs.workloads.map(\.labels)
            self.labels = labels
            workloadsOf = selected.map { environment in specs.workloads.indices.filter { environment.jobSelector.matches(labels[$0]) } }
        }

        /// Every workload placed on `cluster`, in rendering order: environments in wave order,
        /// workloads in document order.
        func forEachPlacement(on cluster: ClusterSpec, _ specs: SpecSet, _ body: (PlacementKey) -> Void) {
            for (e, environment) in selected.enumerated() where environment.clusterSelector.matches(cluster.selectorLabels) {
                for w in workloadsOf[e] where specs.workloads[w].isPlaced(on: cluster) {
                    let workload = specs.workloads[w]
                    let patches = environment.patches.indices.filter {
                        environment.patches[$0].target.matches(kind: workload.kind, name: workload.name, labels: labels[w], cluster: cluster)
                    }
                    body(PlacementKey(environment: e, workload: w, patches: patches))
                }
            }
        }
    }

    /// What a placed object depends on: the environment, the workload and which of the
    /// environment's patches apply to it on the cluster.
    struct PlacementKey: Hashable, Sendable {
        var environment: Int
        var workload: Int
        var patches: [Int]
    }

    private func place(_ key: PlacementKey, _ plan: Placement, on cluster: ClusterSpec, _ specs: SpecSet,
                       _ diagnostics: inout [Diagnostic]) -> DesiredObject? {
        let environment = plan.selected[key.environment], workload = specs.workloads[key.workload]
        let patches = key.patches.map { environment.patches[$0] }
        guard let reuse, let named = RenderedPlacements.key(workload, patches: patches, in: environment) else {
            return place(workload, patches: patches, in: environment, on: cluster, revision: specs.revision, &diagnostics)
        }
        if let known = reuse.object(for: named.key, revision: specs.revision) { return known }
        let made = place(workload, patches: patches, in: environment, on: cluster, revision: specs.revision, &diagnostics)
        if let made { reuse.keep(made, for: named.key, holding: named.held) }
        return made
    }

    /// One cluster's desired state, or `nil` when rendering it found an error; and what it found.
    /// `placed` holds objects already rendered for another cluster with the same placement.
    func renderCluster(_ cluster: ClusterSpec, _ plan: Placement, _ specs: SpecSet,
                       placed: [PlacementKey: DesiredObject] = [:]) -> (ClusterDesiredState?, [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        var objects: [DesiredObject] = []
        let environmentNames = plan.selected.filter { $0.clusterSelector.matches(cluster.selectorLabels) }.map(\.name)
        // Where each identity already rendered on this cluster sits in `objects`.
        var claimed: [ObjectIdentity: Int] = [:]
        plan.forEachPlacement(on: cluster, specs) { key in
            let environment = plan.selected[key.environment], workload = specs.workloads[key.workload]
            let object: DesiredObject
            if var known = placed[key] {
                known.cluster = cluster.name
                object = known
            } else {
                guard let made = place(key, plan, on: cluster, specs, &diagnostics) else { return }
                object = made
            }
            // One hash of the identity for the common case, a new one.
            if let index = claimed.updateValue(objects.count, forKey: object.identity) {
                claimed[object.identity] = index
                let other = objects[index]
                let otherWorkload = plan.sources[other.source]
                diagnostics.append(Self.renderedTwice(object, from: workload, in: environment, other: other,
                                                      otherWorkload: otherWorkload, specs: specs))
                return
            }
            objects.append(object)
        }
        checkSessionJobs(objects, &diagnostics)
        if diagnostics.contains(where: { $0.severity == .error }) { return (nil, diagnostics) }

        objects = Self.inApplyOrder(objects)
        let rules = cluster.ignore + environmentNames.flatMap { specs.environment(named: $0)?.ignore ?? [] }
        return (ClusterDesiredState(cluster: cluster, environments: environmentNames, objects: objects, ignoreRules: rules), diagnostics)
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
        let plan = Placement(specs, environments: environments)
        for cluster in specs.clusters where clusters?.contains(cluster.name) ?? true {
            let (state, found) = renderCluster(cluster, plan, specs)
            diagnostics += found
            // After the first error `body` sees no more clusters; the rest are rendered for their errors.
            guard let state, !diagnostics.contains(where: { $0.severity == .error }) else { continue }
            try body(state)
        }
        if diagnostics.contains(where: { $0.severity == .error }) { throw DiagnosticError(diagnostics) }
    }

    /// `objects` by apply rank, then identity: positions are sorted, each rank computed once.
    static func inApplyOrder(_ objects: [DesiredObject]) -> [DesiredObject] {
        let ranks = objects.map { ApplyOrder.rank(of: $0.value, kind: $0.kind) }
        let order = objects.indices.sorted { a, b in
            ranks[a] != ranks[b] ? ranks[a] < ranks[b] : objects[a].identity < objects[b].identity
        }
        return order.map { objects[$0] }
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
        _ workload: SpecObject, patches: [EnvironmentPatch], in environment: EnvironmentSpec, on cluster: ClusterSpec, revision: String,
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
        for patch in patches {
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
    /// Sets `metadata.<field>` to a scalar, keeping the place of the value it replaces.
    static func setMetadataField(_ object: inout Value, _ field: String, _ value: Value) {
        object.modifyMap { root in
            root.modifyValue(forKey: "metadata", adding: .null) { metadata in
                metadata.makeMap()
                metadata.modifyMap { metadata in
                    metadata.modifyValue(forKey: field, adding: .null) { $0.kind = value.kind }
                }
            }
        }
    }
}
