import Foundation
import Logging
import SluiceCore
import SluiceGit
import SluicePipeline
import SluicePolicy
import SluiceSpec
import SluiceSync

/// Follows a round step by step: writes one log line per step (fetch, load, the plan of each
/// cluster, policy verdicts, each action as it starts and ends, health gates while they wait,
/// the outcome) and keeps the `RoundProgress` the status API shows while the round runs.
public final class RoundTracker: @unchecked Sendable {
    /// A health gate that keeps waiting is logged at most this often per object.
    public static let healthLogInterval: Duration = .seconds(10)
    /// Long lists in one log line (actions of a plan, violations) are cut here.
    static let listLimit = 20

    private let lock = NSLock()
    private var logger: Logger
    private var current: RoundProgress?
    private var healthLogged: [String: ContinuousClock.Instant] = [:]
    private var secrets: SecretList?

    public init(logger: Logger = Logger(label: "sluice.serve", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.logger = logger
    }

    /// Where the lines go from now on; the cluster credentials the specs name in environment
    /// variables are added to `secrets` (which the logger's handler blanks) as each round loads.
    public func use(_ logger: Logger, secrets: SecretList? = nil) {
        lock.withLock {
            self.logger = logger
            self.secrets = secrets
        }
    }

    /// The round in progress; `nil` between rounds.
    public var progress: RoundProgress? { lock.withLock { current } }

    private var log: Logger { lock.withLock { logger } }

    // MARK: Steps of a round

    func begin(_ reason: RoundReason) {
        lock.withLock {
            current = RoundProgress(phase: .fetching, reason: reason.description, started: Date())
            healthLogged = [:]
        }
        log.debug("round started", metadata: ["reason": "\(reason)"])
    }

    func fetched(_ commit: CommitInfo?, revision: String, seconds: Double, reachable: Bool) {
        lock.withLock { current?.revision = revision }
        var metadata: Logger.Metadata = ["commit": "\(revision)", "seconds": "\(String(format: "%.2f", seconds))"]
        if let commit {
            metadata["author"] = "\(commit.author)\(commit.authorEmail.map { " <\($0)>" } ?? "")"
            metadata["subject"] = "\(commit.subject)"
        }
        if !reachable { metadata["git"] = "unreachable" }
        log.info(reachable ? "fetched" : "Git unreachable; using the commit already fetched", metadata: metadata)
    }

    func phase(_ phase: RoundProgress.Phase) {
        lock.withLock { current?.phase = phase }
    }

    /// The pipeline's steps between load and apply.
    func stage(_ stage: Pipeline.PipelineStage) {
        switch stage {
        case .loaded(let specs, let state):
            if let secrets = lock.withLock({ self.secrets }) {
                // Only environment variables: a file a commit names is not read for this.
                let references = specs.clusters.flatMap { [$0.flink?.bearerToken, $0.runtime?.token] }
                secrets.add(references.map { reference -> String? in
                    guard case .environment? = reference else { return nil }
                    return reference?.read()
                })
            }
            lock.withLock {
                current?.phase = .planning
                current?.clusters = state.clusters.map {
                    RoundProgress.Cluster(name: $0.cluster.name, state: .planning, done: 0, total: 0, message: "reading live state")
                }
            }
            log.info("loaded", metadata: [
                "clusters": "\(specs.clusters.count)", "environments": "\(specs.environments.count)", "workloads": "\(specs.workloads.count)",
                "planning": "\(state.clusters.map(\.cluster.name).joined(separator: ","))",
                "warnings": "\(specs.warnings.count)",
            ])
        case .planned:
            phase(.verdicts)
        case .verdicts(let plan, let violations):
            logVerdicts(violations)
            lock.withLock {
                current?.phase = .applying
                for cluster in plan.clusters {
                    current?.update(cluster.cluster.name) { progress in
                        progress.total = cluster.changes.count
                        if let failure = cluster.failure {
                            progress.state = .failed
                            progress.message = failure.description
                        } else if cluster.changes.isEmpty {
                            progress.state = .done
                            progress.message = "in sync"
                        } else {
                            progress.state = .pending
                            progress.message = "waiting for its wave"
                        }
                    }
                }
            }
            for cluster in plan.clusters { logPlan(cluster) }
        }
    }

    private func logVerdicts(_ violations: [String: [Violation]]) {
        let all = violations.keys.sorted().flatMap { violations[$0]! }
        let denied = all.filter { $0.actions.contains(.deny) }.count
        log.info("policy verdicts", metadata: ["violations": "\(all.count)", "denied": "\(denied)"])
        for violation in all.prefix(Self.listLimit) {
            let metadata: Logger.Metadata = [
                "cluster": "\(violation.cluster)", "object": "\(violation.object)", "policy": "\(violation.policy)",
                "actions": "\(violation.actions.map(\.rawValue).joined(separator: ","))",
            ]
            let message = "policy violation: \(violation.message)"
            if violation.actions.contains(.deny) {
                log.error("\(message)", metadata: metadata)
            } else if violation.actions.contains(.warn) {
                log.warning("\(message)", metadata: metadata)
            } else {
                log.info("\(message)", metadata: metadata)
            }
        }
    }

    private func logPlan(_ cluster: ClusterPlan) {
        let name = cluster.cluster.name
        if let failure = cluster.failure {
            log.error("plan: cluster cannot be synced", metadata: ["cluster": "\(name)", "error": "\(failure.description)"])
            return
        }
        let changes = cluster.changes
        var metadata: Logger.Metadata = ["cluster": "\(name)", "changes": "\(changes.count)", "objects": "\(cluster.actions.count)"]
        if !changes.isEmpty {
            var listed = changes.prefix(Self.listLimit).map { "\($0.kind.rawValue) \($0.identity)" }
            if changes.count > Self.listLimit { listed.append("and \(changes.count - Self.listLimit) more") }
            metadata["actions"] = "\(listed.joined(separator: "; "))"
        }
        log.info(changes.isEmpty ? "plan: in sync" : "plan", metadata: metadata)
    }

    /// A step of the apply.
    func event(_ event: SyncEvent) {
        switch event {
        case .waveStarted(let wave, let clusters):
            lock.withLock {
                for name in clusters {
                    current?.update(name) { progress in
                        guard progress.state == .pending else { return }
                        progress.state = .applying
                        progress.message = nil
                    }
                }
            }
            log.info("wave started", metadata: ["wave": "\(wave)", "clusters": "\(clusters.joined(separator: ","))"])
        case .actionStarted(let action):
            lock.withLock {
                current?.update(action.cluster) { progress in
                    progress.state = .applying
                    progress.message = "\(action.kind.rawValue) \(action.identity)"
                }
            }
            log.info("action started", metadata: ["cluster": "\(action.cluster)", "action": "\(action.kind.rawValue)",
                                                  "object": "\(action.identity)", "reason": "\(action.reason)"])
        case .actionFinished(let result):
            let action = result.action
            lock.withLock { current?.update(action.cluster) { $0.done += 1 } }
            var metadata: Logger.Metadata = ["cluster": "\(action.cluster)", "action": "\(action.kind.rawValue)", "object": "\(action.identity)",
                                             "seconds": "\(String(format: "%.2f", result.durationSeconds))", "result": "\(result.message)"]
            if let savepoint = result.savepointPath { metadata["savepoint"] = "\(savepoint)" }
            if result.succeeded {
                log.info("action done", metadata: metadata)
            } else {
                log.error("action failed", metadata: metadata)
            }
        case .healthWaiting(let cluster, let identity, let health):
            lock.withLock {
                current?.update(cluster) { progress in
                    progress.state = .waitingForHealth
                    progress.message = "\(identity): \(health)"
                }
            }
            let key = "\(cluster)\u{0}\(identity)"
            let now = ContinuousClock.now
            let due = lock.withLock {
                if let last = healthLogged[key], now - last < Self.healthLogInterval { return false }
                healthLogged[key] = now
                return true
            }
            if due {
                log.info("waiting for health", metadata: ["cluster": "\(cluster)", "object": "\(identity)",
                                                          "health": "\(health.status.rawValue)", "detail": "\(health.reason)"])
            }
        case .clusterFinished(let result):
            let failed = [.failed, .error, .held].contains(result.status)
            lock.withLock {
                current?.update(result.cluster) { progress in
                    progress.state = failed ? .failed : .done
                    progress.message = result.message
                }
            }
            let metadata: Logger.Metadata = ["cluster": "\(result.cluster)", "status": "\(result.status.rawValue)",
                                             "seconds": "\(String(format: "%.1f", result.durationSeconds))", "detail": "\(result.message)"]
            if failed {
                log.error("cluster \(result.status.rawValue)", metadata: metadata)
            } else {
                log.info("cluster \(result.status.rawValue)", metadata: metadata)
            }
        }
    }

    /// The round's outcome; the progress ends.
    func finish(_ round: ReconcileLoop.Round) {
        lock.withLock { current?.phase = .done }
        var metadata: Logger.Metadata = ["outcome": "\(round.outcome)", "reason": "\(round.reason)",
                                         "seconds": "\(String(format: "%.1f", round.finished.timeIntervalSince(round.started)))"]
        if let revision = round.revision { metadata["revision"] = "\(revision)" }
        let message = "round \(round.outcome): \(round.message)"
        switch round.outcome {
        case .failed, .unresolvable: log.error("\(message)", metadata: metadata)
        case .unverified: log.warning("\(message)", metadata: metadata)
        case .synced where round.synced?.succeeded == false: log.error("\(message)", metadata: metadata)
        default: log.info("\(message)", metadata: metadata)
        }
        lock.withLock { current = nil }
    }
}
