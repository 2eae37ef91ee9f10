import Foundation
import SluiceCore
import SluicePolicy
import SluiceSpec
import SluiceSync

/// The flow from a commit to running jobs, one function per stage, shared by `sluice plan`,
/// `sluice sync` and `sluice serve`:
///
///     load → render → plan (reads every cluster's live state) → verdicts → apply
///
/// Verdicts come after the live state is read because a policy's `oldObject` is the object as
/// it is on the cluster, as the API server gives it to an admission policy. `sluice check`,
/// which reads no cluster, runs its half of the flow in `Review`.
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

    /// Everything a sync needs, planned and gated.
    public struct Planned: Sendable {
        public var specs: SpecSet
        public var state: DesiredState
        public var syncer: Syncer
        public var plan: Plan
        /// The policy violations of each cluster the policies were evaluated on (empty: none).
        public var violations: [String: [Violation]]
    }

    // MARK: Stages

    /// What `plan` has done so far, for a service that shows a round in progress.
    public enum PipelineStage: Sendable {
        /// The specs loaded and rendered; `state` holds the clusters that will be planned.
        case loaded(SpecSet, DesiredState)
        /// Every cluster's live state read and planned (before the policies).
        case planned(Plan)
        /// The policies' verdicts applied: the plan that will be synced, and each cluster's violations.
        case verdicts(Plan, [String: [Violation]])
    }

    /// Load: reads and validates the specs of one revision.
    public func load(_ tree: any SourceTree, revision: String) throws -> SpecSet {
        try SpecLoader().load(from: tree, path: path, revision: revision)
    }

    /// Render: the desired state of every selected cluster.
    public func render(_ specs: SpecSet) throws -> DesiredState {
        try Renderer(clusters: clusters, environments: environments).render(specs)
    }

    /// Connects a driver to every cluster of `state`; clusters whose driver cannot be made are
    /// planned as unavailable.
    public func connect(_ state: DesiredState, tree: any SourceTree) throws -> Syncer {
        let journal = try Journal(directory: stateDirectory)
        let factory = DriverFactory(stateDirectory: stateDirectory, repository: tree, runtimes: runtimes)
        let (drivers, unavailable) = factory.drivers(for: state.clusters.map(\.cluster), journal: journal)
        return Syncer(drivers: drivers, unavailable: unavailable, journal: journal)
    }

    /// Load, render, plan and verdicts for one revision. With `baseline` (the tree last synced),
    /// only clusters whose desired state differs from the baseline's are planned: a commit
    /// touching one environment re-plans its clusters only. With `only`, only the clusters it
    /// accepts are planned (a replica's share of them).
    ///
    /// With `cache` (a service planning commits again and again), `revision` must name a commit:
    /// its specs, desired state and policies come from the cache when it holds them, and so does
    /// the baseline's desired state when `baselineRevision` names a commit it holds.
    public func plan(_ tree: any SourceTree, revision: String, options: SyncOptions, baseline: (any SourceTree)? = nil,
                     cache: LoadedRevisions? = nil, baselineRevision: String? = nil,
                     only: (@Sendable (String) -> Bool)? = nil,
                     stages: @Sendable (PipelineStage) -> Void = { _ in }) async throws -> Planned {
        let loaded = try prepare(tree, revision: revision, cache: cache)
        let specs = loaded.specs
        var state = loaded.state
        if let only { state.clusters = state.clusters.filter { only($0.cluster.name) } }
        if let baseline,
           let previous = baselineRevision.flatMap({ cache?.lookup($0)?.state }) ?? (try? render(try load(baseline, revision: "baseline"))) {
            let changed = Self.changedClusters(previous, state)
            state.clusters = state.clusters.filter { changed.contains($0.cluster.name) }
        }
        stages(.loaded(specs, state))
        let engine = loaded.engine
        let syncer = try connect(state, tree: tree)
        let plan = await syncer.plan(state, environments: specs.environments, options: options)
        stages(.planned(plan))
        let gated = Verdicts.gate(plan, specs: specs, engine: engine)
        stages(.verdicts(gated.plan, gated.violations))
        return Planned(specs: specs, state: state, syncer: syncer, plan: gated.plan, violations: gated.violations)
    }

    /// Load, render and compile the policies of one revision, or take them from `cache`.
    public func prepare(_ tree: any SourceTree, revision: String, cache: LoadedRevisions? = nil) throws -> LoadedRevisions.Loaded {
        func make() throws -> LoadedRevisions.Loaded {
            let specs = try load(tree, revision: revision)
            let state = try render(specs)
            return LoadedRevisions.Loaded(specs: specs, state: state, engine: try Verdicts.engine(tree, policies: policies, specs: specs))
        }
        guard let cache else { return try make() }
        return try cache.loaded(revision, make)
    }

    /// Apply: syncs the plan wave by wave and lets go of the clusters; `progress` sees every step.
    public func apply(_ planned: Planned, options: SyncOptions,
                      progress: @escaping @Sendable (SyncEvent) -> Void = { _ in }) async -> SyncReport {
        let report = await planned.syncer.sync(planned.plan, state: planned.state, environments: planned.specs.environments,
                                               options: options, progress: progress)
        await planned.syncer.close()
        return report
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
}
