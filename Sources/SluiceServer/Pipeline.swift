import Foundation
import SluiceCore
import SluicePolicy
import SluiceSpec
import SluiceSync

/// The flow from a spec tree to a plan, shared by `sluice plan`, `sluice sync` and `sluice serve`:
/// load and validate, render, connect to every cluster, read live state, plan, and gate the plan
/// on the policies (with `oldObject` = the live object).
public struct Pipeline: Sendable {
    /// The spec root inside the tree.
    public var path: String
    /// Only these clusters / environments (`nil`: all).
    public var clusters: Set<String>?
    public var environments: Set<String>?
    /// The folder of the policies inside the tree.
    public var policies: String
    public var stateDirectory: URL
    /// Runtimes kept across runs by a long-running service; `nil` for one-shot commands.
    public var runtimes: RuntimeRegistry?

    public init(path: String = "", clusters: Set<String>? = nil, environments: Set<String>? = nil, policies: String = "policies",
                stateDirectory: URL, runtimes: RuntimeRegistry? = nil) {
        self.path = path
        self.clusters = clusters
        self.environments = environments
        self.policies = policies
        self.stateDirectory = stateDirectory
        self.runtimes = runtimes
    }

    /// Everything a sync needs, planned.
    public struct Planned: Sendable {
        public var specs: SpecSet
        public var state: DesiredState
        public var syncer: Syncer
        public var plan: Plan
        /// The policy violations of each cluster the policies were evaluated on (empty: none).
        public var violations: [String: [Violation]] = [:]
    }

    /// With `baseline` (the tree last synced), only clusters whose desired state differs from
    /// the baseline's are planned: a commit touching one environment re-plans its clusters only.
    public func plan(_ tree: any SourceTree, revision: String, options: SyncOptions, baseline: (any SourceTree)? = nil) async throws -> Planned {
        let specs = try SpecLoader().load(from: tree, path: path, revision: revision)
        var state = try Renderer(clusters: clusters, environments: environments).render(specs)
        if let baseline, let previous = try? Renderer(clusters: clusters, environments: environments)
            .render(try SpecLoader().load(from: baseline, path: path, revision: "baseline")) {
            let changed = Self.changedClusters(previous, state)
            state.clusters = state.clusters.filter { changed.contains($0.cluster.name) }
        }
        let journal = try Journal(directory: stateDirectory)
        let factory = DriverFactory(stateDirectory: stateDirectory, repository: tree, runtimes: runtimes)
        let (drivers, unavailable) = factory.drivers(for: state.clusters.map(\.cluster), journal: journal)
        let syncer = Syncer(drivers: drivers, unavailable: unavailable, journal: journal)
        let plan = await syncer.plan(state, environments: specs.environments, options: options)
        let hasPolicies = (try? tree.files(under: policies)) != nil
        let policySet = try PolicyLoader.load(from: tree, path: hasPolicies ? policies : nil, specs: specs)
        let gated = Self.gate(plan, specs: specs, engine: try PolicyEngine(policySet, engine: CELExpressionEngine()))
        return Planned(specs: specs, state: state, syncer: syncer, plan: gated.plan, violations: gated.violations)
    }

    /// Clusters whose desired objects (identity and spec hash) or cluster spec differ between two renders.
    public static func changedClusters(_ old: DesiredState, _ new: DesiredState) -> Set<String> {
        func fingerprint(_ cluster: ClusterDesiredState) -> Set<String> {
            Set(cluster.objects.map { "\($0.identity) \($0.specHash)" })
        }
        let before = Dictionary(old.clusters.map { ($0.cluster.name, $0) }, uniquingKeysWith: { first, _ in first })
        return Set(new.clusters.filter { cluster in
            guard let previous = before[cluster.cluster.name] else { return true }
            return previous.cluster != cluster.cluster || fingerprint(previous) != fingerprint(cluster)
        }.map(\.cluster.name))
    }

    /// Evaluates the policies on every planned object; a cluster with a Deny applies nothing.
    static func gate(_ plan: Plan, specs: SpecSet, engine: PolicyEngine) -> (plan: Plan, violations: [String: [Violation]]) {
        var gated = plan
        var violations: [String: [Violation]] = [:]
        for index in gated.clusters.indices where gated.clusters[index].error == nil {
            let cluster = gated.clusters[index]
            let subjects = cluster.actions.compactMap { action -> PolicyEngine.Subject? in
                guard let desired = action.desired else { return nil }
                return PolicyEngine.Subject(object: desired.value, oldObject: action.live?.value, identity: desired.identity,
                                            source: desired.source, cluster: cluster.cluster,
                                            environment: specs.environment(named: desired.environment), environmentName: desired.environment)
            }
            let found = engine.evaluate(subjects)
            violations[cluster.cluster.name] = found
            let denials = found.filter(\.denies)
            guard !denials.isEmpty else { continue }
            gated.clusters[index].actions = []
            gated.clusters[index].error = "policies deny the change: "
                + denials.prefix(5).map { "\($0.policy) on \($0.object): \($0.message)" }.joined(separator: "; ")
                + (denials.count > 5 ? "; and \(denials.count - 5) more" : "")
        }
        return (gated, violations)
    }
}
