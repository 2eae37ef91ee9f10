import Foundation
import SluiceCore
import SluiceFlink
import SluiceSpec
import SluiceStatusClient
import SluiceSync

/// What the status API says about each Flink job beyond its health (`objects[].job`): the job's
/// state, restarts and newest checkpoint as its cluster reports them, and the newest savepoint
/// from the journal. Read in the background after each round, after a savepoint on request, and
/// when the status is read and the last reading is older than `maxAge`; a status request never
/// waits for a cluster.
actor JobStatusBoard {
    struct Key: Hashable, Sendable {
        var cluster: String
        var object: String
    }

    /// What one reading found.
    struct Reading: Sendable {
        var observations: [Key: JobObservation] = [:]
        var savepoints: [Key: JobStatus.Savepoint] = [:]
    }

    /// Objects read per refresh at most: a fleet larger than this shows the rest as unknown.
    static let maxObjects = 10_000
    /// Clusters read at once (the syncer's default `--parallelism`).
    static let maxParallelClusters = SyncOptions.defaultParallelism
    let maxAge: Duration
    private let loop: ReconcileLoop
    private let journal: Journal?
    private(set) var reading = Reading()
    private var refreshed: ContinuousClock.Instant?
    private var running: Task<Void, Never>?
    private var again = false
    private var stopped = false

    init(loop: ReconcileLoop, journal: Journal?, maxAge: Duration = .seconds(30)) {
        self.loop = loop
        self.journal = journal
        self.maxAge = maxAge
    }

    /// Starts a refresh unless one runs or the last one is recent; never waits for it.
    func refreshIfStale() {
        if let refreshed, ContinuousClock.now - refreshed < maxAge { return }
        if running == nil { start() }
    }

    /// Refreshes now (or after the refresh in progress, which may predate what changed) and waits for it.
    func refresh() async {
        if running != nil { again = true } else { start() }
        while let task = running { await task.value }
    }

    /// Cancels the reading in progress and waits for it; no reading starts after this. The
    /// service calls it before it exits: a reading left running (its HTTP transfers on their own
    /// threads) would race the process's exit.
    func stop() async {
        stopped = true
        again = false
        running?.cancel()
        while let task = running { await task.value }
    }

    private func start() {
        guard !stopped else { return }
        running = Task.detached { [loop, journal] in
            let fresh = await Self.read(loop: loop, journal: journal)
            await self.finished(fresh)
        }
    }

    private func finished(_ fresh: Reading) {
        reading = fresh
        refreshed = .now
        running = nil
        if again {
            again = false
            start()
        }
    }

    /// One reading of every job the last plan knows, clusters in parallel.
    static func read(loop: ReconcileLoop, journal: Journal?) async -> Reading {
        guard let plan = await loop.lastRound?.plan else { return Reading() }
        let pipeline = loop.pipeline
        var budget = maxObjects
        var work: [(ClusterSpec, [ObjectIdentity])] = []
        for cluster in plan.clusters where cluster.failure == nil {
            // Objects the plan found missing included: the round may have created them since.
            let identities = cluster.actions.filter(Self.runsJob).map(\.identity).prefix(max(budget, 0))
            budget -= identities.count
            if !identities.isEmpty { work.append((cluster.cluster, Array(identities))) }
        }
        var out = Reading()
        let observations = await withTaskGroup(of: [Key: JobObservation].self) { group in
            // A bounded pool, as the syncer reads clusters: each reading opens the cluster's
            // applied store, and a hundred of them at once came on top of the round's own.
            var pending = work.makeIterator()
            func addNext() {
                guard let (cluster, identities) = pending.next() else { return }
                group.addTask {
                    // The drivers that can tell (flink, kubernetes through the operator's status,
                    // embedded runtime); embedded runtimes only through the service's own registry,
                    // as a new one would adopt the processes again.
                    switch cluster.driver {
                    case .flink, .kubernetes: break
                    case .runtime where cluster.runtime?.url == nil && pipeline.runtimes != nil: break
                    case .runtime: return [:]
                    }
                    guard let journal = try? Journal(directory: pipeline.stateDirectory) else { return [:] }
                    let factory = DriverFactory(stateDirectory: pipeline.stateDirectory, runtimes: pipeline.runtimes)
                    guard let driver = try? factory.driver(for: cluster, journal: journal) as? any JobInspecting else { return [:] }
                    let found = await driver.observeJobs(identities)
                    return Dictionary(found.map { (Key(cluster: cluster.name, object: $0.key.description), $0.value) }, uniquingKeysWith: { _, last in last })
                }
            }
            for _ in 0..<maxParallelClusters { addNext() }
            var all: [Key: JobObservation] = [:]
            for await found in group {
                all.merge(found) { _, last in last }
                addNext()
            }
            return all
        }
        out.observations = observations
        if let journal {
            let keys = plan.clusters.flatMap { cluster in cluster.actions.filter(Self.runsJob).map { Key(cluster: cluster.cluster.name, object: $0.identity.description) } }
                .prefix(maxObjects)
            out.savepoints = await onDedicatedThread("sluice-status-journal") {
                var savepoints: [Key: JobStatus.Savepoint] = [:]
                for key in keys {
                    let taken = try? journal.lastRecord(cluster: key.cluster, object: key.object) {
                        $0.phase == .outcome && $0.succeeded == true && $0.savepointPath != nil && ($0.step == .savepoint || $0.step == .stopWithSavepoint)
                    }
                    if let taken, let path = taken.savepointPath { savepoints[key] = .init(path: path, time: taken.time, source: "journal") }
                }
                return savepoints
            }
        }
        return out
    }

    /// Whether the planned object is a Flink job (desired or live).
    static func runsJob(_ action: PlannedAction) -> Bool {
        (action.desired?.value).flatMap(JobSpec.init) != nil || (action.live?.value).flatMap(JobSpec.init) != nil
    }
}
