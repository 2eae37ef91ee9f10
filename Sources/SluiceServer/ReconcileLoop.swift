import Foundation
import SluiceCore
import SluiceGit
import SluiceSpec
import SluiceSync

/// `sluice serve`'s loop: fetch the repository, and sync every new commit (and, every
/// `resyncEvery` rounds, the current one again, which heals drift and restarts lost jobs).
///
/// While Git is unreachable, or a new commit does not load, it keeps running the last good
/// revision and says so; it never applies a revision whose specs are invalid.
public actor ReconcileLoop {
    public struct Configuration: Sendable {
        public var revision: String
        public var interval: Duration
        public var resyncEvery: Int
        public var options: SyncOptions

        public init(revision: String = "HEAD", interval: Duration = .seconds(30), resyncEvery: Int = 10, options: SyncOptions = .init()) {
            self.revision = revision
            self.interval = interval
            self.resyncEvery = resyncEvery
            self.options = options
        }
    }

    /// What one round did.
    public struct Round: Sendable {
        public var revision: String?
        public var gitReachable: Bool
        public var synced: SyncReport?
        public var message: String
    }

    private let repository: GitRepository
    private let pipeline: Pipeline
    private let configuration: Configuration
    private let log: @Sendable (String) -> Void
    /// The newest revision that loaded, rendered and was synced.
    public private(set) var lastGood: String?
    public private(set) var lastRound: Round?
    private var rounds = 0

    public init(repository: GitRepository, pipeline: Pipeline, configuration: Configuration, log: @escaping @Sendable (String) -> Void) {
        self.repository = repository
        self.pipeline = pipeline
        self.configuration = configuration
        self.log = log
    }

    /// Runs rounds until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            _ = await round()
            try? await Task.sleep(for: configuration.interval)
        }
    }

    /// One round: fetch, then sync if there is something new (or a resync is due).
    public func round() async -> Round {
        rounds += 1
        var reachable = true
        do {
            try repository.fetch()
        } catch {
            reachable = false
            log("Git is unreachable: \(error); keeping \(lastGood.map { "the last good revision \($0.prefix(12))" } ?? "nothing (no revision has been synced yet)")")
        }
        let candidate: GitCommitID
        do {
            candidate = try repository.resolve(configuration.revision)
        } catch {
            return finish(Round(revision: lastGood, gitReachable: reachable, synced: nil, message: "cannot resolve \(configuration.revision): \(error)"))
        }
        let due = rounds % max(configuration.resyncEvery, 1) == 0
        if candidate.hex == lastGood && !due {
            return finish(Round(revision: lastGood, gitReachable: reachable, synced: nil, message: "revision \(candidate.hex.prefix(12)) is in sync"))
        }
        do {
            let planned = try await pipeline.plan(try repository.tree(at: candidate), revision: candidate.hex, options: configuration.options)
            let report = await planned.syncer.sync(planned.plan, state: planned.state, environments: planned.specs.environments,
                                                   options: configuration.options)
            if report.succeeded { lastGood = candidate.hex }
            let summary = report.clusters.map { "\($0.cluster): \($0.status.rawValue)" }.joined(separator: ", ")
            log("revision \(candidate.hex.prefix(12)): \(summary)")
            return finish(Round(revision: candidate.hex, gitReachable: reachable, synced: report, message: summary))
        } catch {
            log("revision \(candidate.hex.prefix(12)) cannot be applied: \(error); keeping \(lastGood.map { "\($0.prefix(12))" } ?? "nothing")")
            return finish(Round(revision: lastGood, gitReachable: reachable, synced: nil, message: "\(error)"))
        }
    }

    private func finish(_ round: Round) -> Round {
        lastRound = round
        return round
    }
}
