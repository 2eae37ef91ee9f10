import Foundation
import SluiceCore
import SluiceGit
import SluicePipeline
import SluicePolicy
import SluiceSpec
import SluiceSync

/// `sluice serve`'s loop: fetch the repository, and sync every new commit (and, every
/// `resyncEvery` rounds, the current one again, which heals drift and restarts lost jobs).
///
/// A webhook or an API call triggers a round at once; triggers that arrive while a round runs
/// are coalesced into one more round. While Git is unreachable, or a new commit does not load,
/// the loop keeps running the last good revision and says so; it never applies a revision whose
/// specs are invalid.
public actor ReconcileLoop {
    public struct Configuration: Sendable {
        public var revision: String
        public var interval: Duration
        public var resyncEvery: Int
        public var options: SyncOptions
        /// When set, a head is applied only after its signatures verify (and, with scope `.all`,
        /// every commit since the last applied one).
        public var signatures: SignaturePolicy?

        public init(revision: String = "HEAD", interval: Duration = .seconds(30), resyncEvery: Int = 10, options: SyncOptions = .init(),
                    signatures: SignaturePolicy? = nil) {
            self.revision = revision
            self.interval = interval
            self.resyncEvery = resyncEvery
            self.options = options
            self.signatures = signatures
        }
    }

    /// What one round did.
    public struct Round: Sendable {
        public var started: Date
        public var finished: Date
        public var revision: String?
        public var gitReachable: Bool
        public var plan: Plan?
        public var synced: SyncReport?
        /// What the round did, as a type; `message` says it in words.
        public var outcome: Outcome
        public var message: String
        /// Why the round ran.
        public var reason: RoundReason
        /// How long the fetch took, and why it failed if it did.
        public var fetchSeconds: Double
        public var fetchError: String?
        /// Whether this replica held the leader Lease (always true without leader election).
        public var leading: Bool
        /// Whether signature verification is configured.
        public var signaturesRequired = false
        /// The head refused for its signature, if it is (the revision kept running is `revision`).
        public var unverified: UnverifiedRevision?
        /// Whether this round is the first to refuse that head (notifications go out once).
        public var newlyUnverified = false
        /// How many signatures this round verified.
        public var verifiedSignatures = 0
        /// The policy violations of each cluster this round planned (none when it planned nothing).
        public var violations: [String: [Violation]] = [:]

        public init(started: Date, finished: Date, revision: String?, gitReachable: Bool, plan: Plan?, synced: SyncReport?,
                    outcome: Outcome, message: String, reason: RoundReason, fetchSeconds: Double, fetchError: String?, leading: Bool = true) {
            self.outcome = outcome
            self.leading = leading
            self.started = started
            self.finished = finished
            self.revision = revision
            self.gitReachable = gitReachable
            self.plan = plan
            self.synced = synced
            self.message = message
            self.reason = reason
            self.fetchSeconds = fetchSeconds
            self.fetchError = fetchError
        }
    }

    /// What a round did.
    public enum Outcome: Sendable, Hashable {
        /// The service is stopping: the round ended after the fetch.
        case skipped
        /// The configured revision (or the pinned one) does not resolve to a commit.
        case unresolvable
        /// The head is refused for its signature (or cannot be verified); the last good revision keeps running.
        case unverified
        /// The head is the revision last synced and no resync is due: nothing was planned.
        case unchanged
        /// A follower planned (read only); the leader syncs.
        case planned
        /// The revision was planned and synced; `synced` says how each cluster fared.
        case synced
        /// The revision could not be loaded, rendered or planned; the last good revision keeps running.
        case failed
    }

    /// Sees every finished round (metrics, notifications).
    public typealias Observer = @Sendable (Round) async -> Void

    private let repository: GitRepository
    let pipeline: Pipeline
    /// Keeps operator actions (a savepoint on request) out of rounds.
    let operations = OperationGate()
    private let configuration: Configuration
    private let log: @Sendable (String) -> Void
    private var observers: [Observer] = []
    /// Whether this replica may sync (leader election); followers only serve reads.
    private var mayReconcile: @Sendable () async -> Bool = { true }
    /// The newest revision that loaded, rendered and was synced.
    public private(set) var lastGood: String?
    public private(set) var lastRound: Round?
    /// When set, this revision is synced instead of the branch head (a rollback).
    public private(set) var pinned: String?
    /// The head refused for its signature, while it is the head.
    public private(set) var unverified: UnverifiedRevision?
    /// Commits whose signatures verified, so a refused head's range is not verified again every round.
    private let verifiedCommits = VerifiedCommits()
    private var rounds = 0
    private var pendingReason: RoundReason?
    private var stopping = false
    private var wakeUp: CheckedContinuation<Void, Never>?

    public init(repository: GitRepository, pipeline: Pipeline, configuration: Configuration, log: @escaping @Sendable (String) -> Void) {
        self.repository = repository
        self.pipeline = pipeline
        self.configuration = configuration
        self.log = log
    }

    public func observe(_ observer: @escaping Observer) { observers.append(observer) }

    /// Makes rounds depend on `condition` (e.g. holding the leader Lease).
    public func gate(_ condition: @escaping @Sendable () async -> Bool) { mayReconcile = condition }

    /// Asks for a round now; several asks before the round starts make one round.
    public func trigger(_ reason: RoundReason) {
        if pendingReason == nil { pendingReason = reason }
        wakeUp?.resume()
        wakeUp = nil
    }

    /// The commit `revision` names in the spec repository (no fetch), for a rollback; refuses
    /// anything else before it can reach Git as an option or a ref expression.
    public nonisolated func resolveCommit(_ revision: String) throws -> String {
        try RollbackRevision.check(revision)
        return try repository.resolve(revision).hex
    }

    /// Syncs `revision` from now on instead of the branch head (`nil` follows the branch again).
    public func pin(_ revision: String?) {
        pinned = revision
        trigger(revision.map { .rollback(to: $0) } ?? .unpin)
    }

    /// Asks `run` to return after the round in progress (SIGTERM: let the step finish).
    public func stop() {
        stopping = true
        // A fetch waiting on a server that does not answer ends now rather than at its timeout.
        repository.cancelFetch()
        trigger(.shutdown)
    }

    /// Runs rounds until `stop()` or cancellation: one per interval, or sooner when triggered.
    public func run() async {
        var reason = RoundReason.start
        while !Task.isCancelled && !stopping {
            let current = reason
            _ = await operations.round { await self.round(reason: current) }
            if stopping { return }
            if let pending = pendingReason {
                pendingReason = nil
                reason = pending
                continue
            }
            reason = await waitForInterval()
            if stopping { return }
        }
    }

    /// Sleeps for the interval unless a trigger comes first; returns why the next round runs.
    private func waitForInterval() async -> RoundReason {
        let interval = configuration.interval
        let timer = Task { [weak self] in
            // Cancelled when a trigger came first: then it must not trigger another round.
            guard (try? await Task.sleep(for: interval)) != nil else { return }
            await self?.trigger(.interval)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if pendingReason != nil || Task.isCancelled { continuation.resume() } else { wakeUp = continuation }
            }
        } onCancel: {
            // Stopping the service wakes the loop so it can return between rounds.
            Task { await self.trigger(.shutdown) }
        }
        timer.cancel()
        let reason = pendingReason ?? .interval
        pendingReason = nil
        return reason
    }

    static func merge(_ plan: Plan, into previous: Plan?) -> Plan {
        let planned = Set(plan.clusters.map(\.cluster.name))
        let kept = (previous?.clusters ?? []).filter { !planned.contains($0.cluster.name) }
        return Plan(revision: plan.revision, clusters: (plan.clusters + kept).sorted { $0.cluster.name < $1.cluster.name })
    }

    static func merge(_ report: SyncReport, into previous: SyncReport?) -> SyncReport {
        let synced = Set(report.clusters.map(\.cluster))
        let kept = (previous?.clusters ?? []).filter { !synced.contains($0.cluster) }
        return SyncReport(revision: report.revision, clusters: (report.clusters + kept).sorted { $0.cluster < $1.cluster })
    }

    /// One round: fetch, then sync if there is something new (or a resync is due).
    @discardableResult
    public func round(reason: RoundReason = .manual) async -> Round {
        let leading = await mayReconcile()
        rounds += 1
        let started = Date()
        var reachable = true
        var fetchError: String?
        let fetchStart = ContinuousClock.now
        do {
            let repository = repository
            try await onDedicatedThread("sluice-git-fetch") { try repository.fetch() }
        } catch {
            reachable = false
            fetchError = "\(error)"
            log("Git is unreachable: \(error); keeping \(lastGood.map { "the last good revision \($0.prefix(12))" } ?? "nothing (no revision has been synced yet)")")
        }
        let fetchElapsed = ContinuousClock.now - fetchStart
        let fetchSeconds = fetchElapsed.seconds
        var newlyUnverified = false, verifiedSignatures = 0
        var violations: [String: [Violation]] = [:]
        func finish(_ outcome: Outcome, _ revision: String?, plan: Plan? = nil, synced: SyncReport? = nil, _ message: String) async -> Round {
            var round = Round(started: started, finished: Date(), revision: revision, gitReachable: reachable, plan: plan,
                              synced: synced, outcome: outcome, message: message, reason: reason, fetchSeconds: fetchSeconds, fetchError: fetchError,
                              leading: leading)
            round.signaturesRequired = configuration.signatures != nil
            round.unverified = unverified
            round.newlyUnverified = newlyUnverified
            round.verifiedSignatures = verifiedSignatures
            round.violations = violations
            lastRound = round
            for observer in observers { await observer(round) }
            return round
        }
        if stopping {
            return await finish(.skipped, lastGood, plan: lastRound?.plan, synced: lastRound?.synced, "stopping: round skipped after the fetch")
        }
        let candidate: GitCommitID
        do {
            candidate = try repository.resolve(pinned ?? configuration.revision)
        } catch {
            return await finish(.unresolvable, lastGood, "cannot resolve \(pinned ?? configuration.revision): \(error)")
        }
        if candidate.hex == lastGood { unverified = nil }
        if let policy = configuration.signatures, candidate.hex != lastGood {
            // Nothing of a head is read (no specs, no plan) before its signatures verify. With
            // scope `.all` the range starts at the last applied commit, so an unsigned commit
            // buried under a signed merge is found.
            let repository = repository, revision = pinned ?? configuration.revision
            let trusted = lastGood.map(GitCommitID.init(hex:)), cache = verifiedCommits
            do {
                let verified = try await onDedicatedThread("sluice-verify") {
                    try policy.verify(revision: revision, head: candidate, in: repository, trusted: trusted, cache: cache)
                }
                verifiedSignatures = verified.count
                unverified = nil
            } catch let error as SignatureError {
                newlyUnverified = unverified?.revision != candidate.hex || unverified?.error != error
                if newlyUnverified { unverified = UnverifiedRevision(revision: candidate.hex, error: error) }
                let keeping = lastGood.map { "keeping \($0.prefix(12))" } ?? "nothing has been applied yet"
                if newlyUnverified { log("unverified: \(unverified!.summary); \(keeping)") }
                return await finish(.unverified, lastGood, plan: lastRound?.plan, synced: lastRound?.synced, "unverified: \(unverified!.summary); \(keeping)")
            } catch {
                log("revision \(candidate.hex.prefix(12)) cannot be verified: \(error); keeping \(lastGood.map { "\($0.prefix(12))" } ?? "nothing")")
                return await finish(.unverified, lastGood, plan: lastRound?.plan, synced: lastRound?.synced,
                                    "revision \(candidate.hex.prefix(12)) cannot be verified: \(error)")
            }
        }
        let resyncDue = rounds % max(configuration.resyncEvery, 1) == 0
        if candidate.hex == lastGood && !resyncDue && reason.isRoutine {
            return await finish(.unchanged, lastGood, plan: lastRound?.plan, synced: lastRound?.synced, "revision \(candidate.hex.prefix(12)) is in sync")
        }
        do {
            // A new commit re-plans only the clusters it changes; the periodic resync (and a
            // manual or first round) plans everything, which also catches drift.
            let incremental = leading && !resyncDue && reason.isRoutine
            let baseline = try incremental ? lastGood.map { try repository.tree(at: try repository.resolve($0)) } : nil
            // A follower only reads: it takes no cluster lock, which the leader may hold.
            var options = configuration.options
            if !leading { options.lockHolder = nil }
            let planned = try await pipeline.plan(try repository.tree(at: candidate), revision: candidate.hex, options: options,
                                                  baseline: baseline)
            violations = planned.violations
            guard leading else {
                // A follower plans (reads only) so its status API answers, and leaves syncing to the leader.
                await planned.syncer.close()
                return await finish(.planned, candidate.hex, plan: planned.plan, "follower: planned \(candidate.hex.prefix(12)); the leader syncs")
            }
            let report = await pipeline.apply(planned, options: configuration.options)
            if report.succeeded { lastGood = candidate.hex }
            let summary = report.clusters.map { "\($0.cluster): \($0.status.rawValue)" }.joined(separator: ", ")
            log("revision \(candidate.hex.prefix(12)) (\(reason)\(baseline == nil ? "" : ", changed clusters only")): \(summary.isEmpty ? "no cluster changed" : summary)")
            // The status keeps every cluster: those this round did not plan keep their last result.
            let plan = Self.merge(planned.plan, into: lastRound?.plan)
            let synced = Self.merge(report, into: lastRound?.synced)
            return await finish(.synced, candidate.hex, plan: plan, synced: synced, summary)
        } catch {
            log("revision \(candidate.hex.prefix(12)) cannot be applied: \(error); keeping \(lastGood.map { "\($0.prefix(12))" } ?? "nothing")")
            return await finish(.failed, lastGood, plan: lastRound?.plan, "revision \(candidate.hex.prefix(12)) cannot be applied: \(error)")
        }
    }
}
