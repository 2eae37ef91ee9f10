import Foundation
import SluiceCore
import SluiceSpec
import SluiceYAML

/// Plans and applies a DesiredState across clusters: live state read from every cluster in
/// parallel, then waves in Environment `wave` order, clusters of a wave in parallel, and a health
/// gate after each cluster's changes. A failed cluster never stops its wave-mates; it holds the
/// waves after it.
public struct Syncer: Sendable {
    /// A driver per cluster name.
    public var drivers: [String: any ClusterDriver]
    /// Clusters that have no driver here, with the reason (missing credentials, driver not available).
    public var unavailable: [String: String]
    public var journal: Journal?

    public init(drivers: [String: any ClusterDriver], unavailable: [String: String] = [:], journal: Journal? = nil) {
        self.drivers = drivers
        self.unavailable = unavailable
        self.journal = journal
    }

    /// Closes every driver; call when the command or service ends.
    public func close() async {
        for driver in drivers.values { await driver.close() }
    }

    // MARK: Plan

    /// The plan of every cluster in `state`, in cluster name order.
    public func plan(_ state: DesiredState, environments: [EnvironmentSpec], options: SyncOptions = .init()) async -> Plan {
        // A bounded pool: at most `options.parallelism` clusters in flight, the next one started
        // as soon as one finishes (a hundred clusters need not mean a hundred connections at once).
        let clusters = await withTaskGroup(of: ClusterPlan.self) { group in
            var pending = state.clusters.makeIterator()
            for _ in 0..<max(options.parallelism, 1) {
                guard let desired = pending.next() else { break }
                group.addTask { await self.plan(desired, environments: environments, options: options) }
            }
            var plans: [ClusterPlan] = []
            for await plan in group {
                plans.append(plan)
                if let desired = pending.next() {
                    group.addTask { await self.plan(desired, environments: environments, options: options) }
                }
            }
            return plans.sorted { $0.cluster.name < $1.cluster.name }
        }
        return Plan(revision: state.revision, clusters: clusters)
    }

    func plan(_ desired: ClusterDesiredState, environments: [EnvironmentSpec], options: SyncOptions) async -> ClusterPlan {
        let name = desired.cluster.name
        guard let driver = drivers[name] else {
            return ClusterPlan(cluster: desired.cluster, actions: [], failure: .unavailable(unavailable[name] ?? "no driver for cluster \(name)"))
        }
        if let holder = options.lockHolder {
            do {
                if let file = driver.lockFile { _ = try await ClusterLock.acquire(file, cluster: name, command: holder, wait: options.lockWait) }
                try await driver.lockShared(command: holder, wait: options.lockWait)
            } catch let error as ClusterLockError {
                return ClusterPlan(cluster: desired.cluster, actions: [], failure: .locked(error))
            } catch let error as ClusterLeaseError {
                return ClusterPlan(cluster: desired.cluster, actions: [], failure: .locked(error))
            } catch {
                return ClusterPlan(cluster: desired.cluster, actions: [], failure: .unavailable("\(error)"))
            }
        }
        let live: [LiveObject]
        do {
            live = Self.sharingStorage(try await driver.liveState(desired: desired.objects), with: desired.objects)
        } catch {
            return ClusterPlan(cluster: desired.cluster, actions: [], failure: .liveState(of: name, error))
        }
        let policies = environments.filter { desired.environments.contains($0.name) }.map(\.syncPolicy)
        let prune = options.prune ?? policies.contains { $0.prune }
        let selfHeal = options.selfHeal ?? policies.contains { $0.selfHeal }
        var plan = Planner(prune: prune, allowMassPrune: options.allowMassPrune, selfHeal: selfHeal).plan(desired, live: live)
        plan.actions = plan.actions.map(holdRolledBack).map { action in
            var action = action
            action.allowStateLoss = options.allowStateLoss
            if options.allowStateLoss, action.live?.isLost == true, action.isChange {
                action.reason += "; state will be dropped if none of it is found (--allow-state-loss)"
            }
            return action
        }
        for index in plan.actions.indices where plan.actions[index].kind == .rescale {
            plan.actions[index] = await driver.describe(plan.actions[index])
        }
        return plan
    }

    /// A spec that was rolled back after a failed health gate is not applied again until Git changes it.
    private func holdRolledBack(_ action: PlannedAction) -> PlannedAction {
        guard action.isChange, action.kind != .delete, let desired = action.desired, let journal,
              let rollback = try? journal.lastRecord(cluster: action.cluster, object: action.identity.description,
                                                     where: { $0.step == .rollback && $0.phase == .outcome && $0.succeeded == true }),
              rollback.specHash == desired.specHash
        else { return action }
        var held = action
        held.kind = .none
        held.reason = "rolled back from this spec after a failed health gate (revision \(rollback.revision?.prefix(12) ?? "?")); commit a fix to try again"
        held.changes = []
        return held
    }

    // MARK: Apply

    /// Applies `plan` wave by wave; `progress` sees every step as it happens.
    public func sync(_ plan: Plan, state: DesiredState, environments: [EnvironmentSpec], options: SyncOptions = .init(),
                     progress: @escaping @Sendable (SyncEvent) -> Void = { _ in }) async -> SyncReport {
        let waves = Dictionary(grouping: plan.clusters) { wave(of: $0.cluster.name, state: state, environments: environments) }
        var results: [ClusterSyncResult] = []
        var failedEarlier: [String] = []
        for wave in waves.keys.sorted() {
            let clusters = waves[wave]!
            let interrupted = options.interrupt?.requested
            if !failedEarlier.isEmpty || interrupted != nil {
                for cluster in clusters {
                    let why = interrupted.map { "not started: \($0)" } ?? "an earlier wave failed on \(failedEarlier.joined(separator: ", "))"
                    let held = ClusterSyncResult(cluster: cluster.cluster.name, wave: wave, status: .held,
                                                 message: "held: \(why)", actions: [])
                    progress(.clusterFinished(held))
                    results.append(held)
                }
                continue
            }
            progress(.waveStarted(wave: wave, clusters: clusters.map(\.cluster.name)))
            let waveResults = await withTaskGroup(of: ClusterSyncResult.self) { group in
                for cluster in clusters {
                    group.addTask {
                        let started = ContinuousClock.now, startedAt = Date()
                        var result = await sync(cluster, wave: wave, environments: environments, options: options, progress: progress)
                        result.durationSeconds = Self.seconds(since: started)
                        result.started = startedAt
                        progress(.clusterFinished(result))
                        return result
                    }
                }
                var out: [ClusterSyncResult] = []
                for await result in group { out.append(result) }
                return out.sorted { $0.cluster < $1.cluster }
            }
            results += waveResults
            failedEarlier += waveResults.filter { $0.status == .failed || $0.status == .error }.map(\.cluster)
        }
        return SyncReport(revision: plan.revision, clusters: results)
    }

    /// The rollout wave of a cluster: the lowest wave of the environments that select it.
    func wave(of cluster: String, state: DesiredState, environments: [EnvironmentSpec]) -> Int {
        let names = state.clusters.first { $0.cluster.name == cluster }?.environments ?? []
        return environments.filter { names.contains($0.name) }.map(\.wave).min() ?? 0
    }

    func sync(_ plan: ClusterPlan, wave: Int, environments: [EnvironmentSpec], options: SyncOptions,
              progress: @escaping @Sendable (SyncEvent) -> Void) async -> ClusterSyncResult {
        let name = plan.cluster.name
        if let failure = plan.failure {
            return ClusterSyncResult(cluster: name, wave: wave, status: .error, message: failure.description, actions: [])
        }
        let changes = plan.changes
        guard !changes.isEmpty else {
            return ClusterSyncResult(cluster: name, wave: wave, status: .unchanged, message: "in sync", actions: [])
        }
        guard let driver = drivers[name] else {
            return ClusterSyncResult(cluster: name, wave: wave, status: .error, message: unavailable[name] ?? "no driver", actions: [])
        }
        var results: [ActionResult] = []
        let breaker = TransportBreaker(threshold: options.transportFailureLimit)
        // Objects of one apply rank do not depend on each other, so the driver may take them in parallel.
        for group in Self.rankGroups(changes) {
            let applied = (try? await group.concurrentMap(limit: driver.maxConcurrentActions) { action -> ActionResult in
                if let interrupted = options.interrupt?.requested {
                    // Not started: the sync was asked to stop, and before an action is a safe point.
                    return ActionResult(action: action, succeeded: false, message: "not attempted: stopped at a safe point (\(interrupted))",
                                        savepointPath: nil, health: nil, rolledBack: false, durationSeconds: 0)
                }
                if let reason = breaker.skip() {
                    var skipped = ActionResult(action: action, succeeded: false, message: "not attempted: \(reason)", savepointPath: nil,
                                               health: nil, rolledBack: false, durationSeconds: 0)
                    skipped.unreachable = true
                    return skipped
                }
                progress(.actionStarted(action))
                let result = await apply(action, with: driver, dryRun: options.dryRun)
                breaker.record(result)
                progress(.actionFinished(result))
                return result
            }) ?? []
            results += applied
            if let reason = breaker.trippedReason {
                let untouched = changes.count - results.count
                return ClusterSyncResult(cluster: name, wave: wave, status: .failed,
                                         message: "stopped: \(reason); \(breaker.skipped + untouched) remaining action(s) not attempted; the next sync resumes from the cluster's live state",
                                         actions: results)
            }
            if let interrupted = options.interrupt?.requested {
                return ClusterSyncResult(cluster: name, wave: wave, status: .failed,
                                         message: "stopped at a safe point (\(interrupted)): the actions already started finished, the rest were not started; the next round plans again from the cluster's live state",
                                         actions: results)
            }
            if let failed = applied.first(where: { !$0.succeeded }) {
                return ClusterSyncResult(cluster: name, wave: wave, status: .failed,
                                         message: "\(failed.action.kind.rawValue) \(failed.action.identity) failed: \(failed.message)", actions: results)
            }
        }
        if options.dryRun {
            return ClusterSyncResult(cluster: name, wave: wave, status: .synced, message: "dry run: nothing changed", actions: results)
        }
        var failures: [String] = []
        for index in results.indices where results[index].awaitingRemoval {
            let removal = await awaitRemoval(results[index].action, driver: driver, options: options, progress: progress)
            results[index].health = removal
            guard removal.status != .missing else { continue }
            results[index].succeeded = false
            results[index].message = "\(results[index].action.identity) still \(removal.reason) after \(options.healthTimeout)"
            failures.append(results[index].message)
        }
        for index in results.indices where results[index].action.kind != .delete {
            let action = results[index].action
            let health = await awaitHealthy(action, driver: driver, options: options, progress: progress)
            results[index].health = health
            guard health.status != .healthy && health.status != .suspended else { continue }
            results[index].succeeded = false
            var message = health.settled ? "\(action.identity) cannot start: \(health)"
                : options.interrupt?.requested.map { "\(action.identity) not healthy yet when the sync stopped at a safe point (\($0)): \(health)" }
                ?? "\(action.identity) did not become healthy within \(options.healthTimeout): \(health)"
            let environment = action.desired?.environment
            let autoRollback = options.autoRollback ?? environments.first { $0.name == environment }?.syncPolicy.autoRollback ?? false
            if autoRollback, options.interrupt?.requested == nil, let rolledBack = await rollback(results[index], with: driver) {
                results[index].rolledBack = true
                message += "; \(rolledBack)"
            }
            results[index].message = message
            failures.append(message)
        }
        if !failures.isEmpty {
            return ClusterSyncResult(cluster: name, wave: wave, status: .failed, message: failures.joined(separator: "; "), actions: results)
        }
        return ClusterSyncResult(cluster: name, wave: wave, status: .synced, message: "\(results.count) change(s) applied and healthy", actions: results)
    }

    /// Consecutive runs of actions with the same apply rank (deletes come last, as planned).
    static func rankGroups(_ actions: [PlannedAction]) -> [[PlannedAction]] {
        var groups: [[PlannedAction]] = []
        var lastRank: Int?
        for action in actions {
            let value = action.desired?.value ?? action.live?.value ?? .null
            let rank = action.kind == .delete ? Int.max : ApplyOrder.rank(of: value, kind: action.identity.kind)
            if rank == lastRank { groups[groups.count - 1].append(action) } else { groups.append([action]) }
            lastRank = rank
        }
        return groups
    }

    func apply(_ action: PlannedAction, with driver: any ClusterDriver, dryRun: Bool) async -> ActionResult {
        let started = ContinuousClock.now
        func result(_ succeeded: Bool, _ message: String, savepoint: String? = nil) -> ActionResult {
            ActionResult(action: action, succeeded: succeeded, message: message, savepointPath: savepoint, health: nil,
                         rolledBack: false, durationSeconds: Self.seconds(since: started))
        }
        if action.kind == .conflict { return result(false, action.reason) }
        if dryRun { return result(true, "would \(action.kind.rawValue): \(action.reason)") }
        do {
            let outcome = try await driver.apply(action)
            var applied = result(outcome.succeeded, outcome.message, savepoint: outcome.savepointPath)
            applied.awaitingRemoval = outcome.awaitingRemoval
            return applied
        } catch {
            var failed = result(false, "\(error)")
            failed.unreachable = (error as? TransportFailureReporting)?.isTransportFailure == true
            return failed
        }
    }

    /// Polls a deleted object until it is gone or the health timeout passes; its last health
    /// (`missing` once gone) says which.
    func awaitRemoval(_ action: PlannedAction, driver: any ClusterDriver, options: SyncOptions,
                      progress: @Sendable (SyncEvent) -> Void) async -> Health {
        let deadline = ContinuousClock.now + options.healthTimeout
        var last = Health(.progressing, "deleting")
        var reported: Health?
        while true {
            do { last = try await driver.health(of: action.identity) } catch { last = Health(.unknown, "\(error)") }
            if last.status == .missing || options.interrupt?.requested != nil { break }
            if last != reported {
                progress(.healthWaiting(cluster: action.cluster, identity: action.identity, health: last))
                reported = last
            }
            guard ContinuousClock.now + options.healthPollInterval < deadline else { break }
            try? await Task.sleep(for: options.healthPollInterval)
        }
        return last
    }

    /// Polls health until healthy (or suspended, when that is the intent) or the timeout.
    func awaitHealthy(_ action: PlannedAction, driver: any ClusterDriver, options: SyncOptions,
                      progress: @Sendable (SyncEvent) -> Void) async -> Health {
        let deadline = ContinuousClock.now + options.healthTimeout
        var last = Health(.unknown, "not checked yet")
        var reported: Health?
        while true {
            do { last = try await driver.health(of: action.identity) } catch { last = Health(.unknown, "\(error)") }
            if last.status == .healthy || last.status == .suspended || last.settled { break }
            if options.interrupt?.requested != nil { break }
            if last != reported {
                progress(.healthWaiting(cluster: action.cluster, identity: action.identity, health: last))
                reported = last
            }
            guard ContinuousClock.now + options.healthPollInterval < deadline else { break }
            try? await Task.sleep(for: options.healthPollInterval)
        }
        try? journal?.append(JournalRecord(cluster: action.cluster, object: action.identity.description, step: .healthGate, phase: .outcome,
                                           revision: Self.revision(action), specHash: action.desired?.specHash,
                                           succeeded: last.status == .healthy || last.status == .suspended, message: last.description))
        return last
    }

    /// Puts the previous spec back from the savepoint its upgrade took; returns what happened, or
    /// `nil` when there is nothing to roll back to.
    func rollback(_ result: ActionResult, with driver: any ClusterDriver) async -> String? {
        let action = result.action
        guard [.upgrade, .rescale].contains(action.kind), let previous = action.live, previous.specHash != nil,
              let savepoint = result.savepointPath, let desired = action.desired else { return nil }
        var value = previous.value
        Self.setInitialSavepoint(&value, savepoint)
        let restored = DesiredObject(cluster: action.cluster, environment: desired.environment, identity: action.identity,
                                     value: value, source: desired.source, specHash: previous.specHash ?? "", revision: previous.revision)
        let step = PlannedAction(cluster: action.cluster, identity: action.identity, kind: .redeploy,
                                 reason: "auto-rollback to the last healthy spec", changeClass: nil, changes: [],
                                 desired: restored, live: nil)
        let object = action.identity.description
        try? journal?.append(JournalRecord(cluster: action.cluster, object: object, step: .rollback, phase: .intent,
                                           revision: Self.revision(action), specHash: desired.specHash, savepointPath: savepoint))
        do {
            let outcome = try await driver.apply(step)
            try? journal?.append(JournalRecord(cluster: action.cluster, object: object, step: .rollback, phase: .outcome,
                                               revision: Self.revision(action), specHash: desired.specHash, savepointPath: savepoint,
                                               succeeded: outcome.succeeded, message: outcome.message))
            return "rolled back to the previous spec from savepoint \(savepoint)"
        } catch {
            try? journal?.append(JournalRecord(cluster: action.cluster, object: object, step: .rollback, phase: .outcome,
                                               revision: Self.revision(action), specHash: desired.specHash, savepointPath: savepoint,
                                               succeeded: false, message: "\(error)"))
            return "the rollback failed too: \(error)"
        }
    }

    static func setInitialSavepoint(_ value: inout Value, _ path: String) {
        guard case .map(var root) = value.kind, var spec = root["spec"]?.mapValue, var job = spec["job"]?.mapValue else { return }
        job["initialSavepointPath"] = .string(path)
        spec["job"] = .map(job)
        root["spec"] = .map(spec)
        value.kind = .map(root)
    }

    static func revision(_ action: PlannedAction) -> String? {
        action.desired?.revision
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        (ContinuousClock.now - start).seconds
    }
}
