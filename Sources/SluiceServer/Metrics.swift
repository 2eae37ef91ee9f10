import Foundation
import Prometheus
import SluiceCore
import SluiceGit
import SluicePolicy
import SluiceSync

/// Sluice's Prometheus metrics (`sluice_` prefix), fed from every reconcile round and webhook.
public final class SluiceMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private static let durationBuckets: [Duration] = [.milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(15),
                                                      .seconds(30), .seconds(60), .seconds(120), .seconds(300), .seconds(600)]
    private let state = Mutex()

    public init() {}

    /// Records what a round did.
    public func record(_ round: ReconcileLoop.Round, journal: Journal?) {
        registry.makeGauge(descriptor: Self.name("leader", unit: "", help: "1 when this replica holds the leader Lease (and syncs), 0 for a follower."), labels: [])
            .set(to: round.leading ? 1.0 : 0.0)
        registry.makeDurationHistogram(descriptor: Self.name("git_fetch_duration", unit: "seconds", help: "Time to fetch the spec repository."),
                                       labels: [], buckets: Self.durationBuckets)
            .record(.milliseconds(Int64(round.fetchSeconds * 1000)))
        if round.fetchError != nil {
            registry.makeCounter(descriptor: Self.name("git_fetch_failures", unit: "total", help: "Fetches of the spec repository that failed."), labels: []).increment()
        } else {
            registry.makeGauge(descriptor: Self.name("git_last_fetch_success_timestamp", unit: "seconds", help: "When the last fetch succeeded (Unix time)."), labels: [])
                .set(to: round.finished.timeIntervalSince1970)
        }
        if round.signaturesRequired {
            registry.makeGauge(descriptor: Self.name("revision_unverified", unit: "", help: "1 while the branch head is refused for its signature (the last good revision keeps running)."), labels: [])
                .set(to: round.unverified == nil ? 0.0 : 1.0)
            // Every reason is a label value from the start (a closed set), so alerts can rate() from zero.
            for reason in SignatureError.Reason.allCases {
                let counter = registry.makeCounter(descriptor: Self.name("commit_signature_refusals", unit: "total", help: "Heads refused for their signature, by reason."),
                                                   labels: [("reason", reason.rawValue)])
                if round.newlyUnverified, round.unverified?.error.reason == reason { counter.increment() }
            }
            registry.makeCounter(descriptor: Self.name("signatures_verified", unit: "total", help: "Commit and tag signatures verified."), labels: [])
                .increment(by: Int64(round.verifiedSignatures))
        }
        if let plan = round.plan {
            for cluster in plan.clusters {
                registry.makeGauge(descriptor: Self.name("cluster_reachable", unit: "", help: "1 when the cluster's live state could be read."),
                                   labels: [("cluster", cluster.cluster.name)])
                    .set(to: cluster.failure?.isLiveStateUnreadable == true ? 0.0 : 1.0)
                var counts: [String: Int] = [:]
                for action in cluster.actions {
                    let sync = action.isChange ? "out_of_sync" : action.kind == .drift ? "drifted" : "synced"
                    counts["\(sync)|\(action.live?.health?.status.rawValue ?? "missing")", default: 0] += 1
                }
                state.withLock { previous in
                    // Label sets that disappeared go to zero instead of keeping their last value.
                    for key in previous[cluster.cluster.name, default: []] where counts[key] == nil { counts[key] = 0 }
                    previous[cluster.cluster.name] = Set(counts.keys)
                }
                for (key, count) in counts {
                    let parts = key.split(separator: "|").map(String.init)
                    registry.makeGauge(descriptor: Self.name("objects", unit: "", help: "Objects by sync status and health."),
                                       labels: [("cluster", cluster.cluster.name), ("sync", parts[0]), ("health", parts[1])])
                        .set(to: Double(count))
                }
            }
        }
        for (cluster, violations) in round.violations { recordViolations(violations, cluster: cluster) }
        guard let report = round.synced else { return }
        for cluster in report.clusters {
            let result = cluster.status.rawValue
            registry.makeCounter(descriptor: Self.name("sync_operations", unit: "total", help: "Syncs by cluster and result."),
                                 labels: [("cluster", cluster.cluster), ("result", result)]).increment()
            registry.makeDurationHistogram(descriptor: Self.name("sync_duration", unit: "seconds", help: "Duration of a cluster's sync, health gate included."),
                                           labels: [("cluster", cluster.cluster), ("result", result)], buckets: Self.durationBuckets)
                .record(.milliseconds(Int64(cluster.durationSeconds * 1000)))
            for action in cluster.actions where [.upgrade, .rescale, .redeploy].contains(action.action.kind) {
                registry.makeCounter(descriptor: Self.name("flink_upgrades", unit: "total", help: "Flink job upgrades by cluster and result."),
                                     labels: [("cluster", cluster.cluster), ("result", action.succeeded ? "succeeded" : "failed")]).increment()
            }
        }
        // Savepoint durations from the journal records this round wrote.
        for record in (try? journal?.records()) ?? [] where record.time >= round.started && record.phase == .outcome
            && (record.step == .stopWithSavepoint || record.step == .savepoint) && record.succeeded == true {
            registry.makeDurationHistogram(descriptor: Self.name("savepoint_duration", unit: "seconds", help: "Time to take a savepoint (or stop with one)."),
                                           labels: [("cluster", record.cluster)], buckets: Self.durationBuckets)
                .record(.milliseconds(Int64(record.durationMilliseconds ?? 0)))
        }
    }

    /// Counts a webhook delivery by forge and result (`accepted`, `rejected`).
    public func recordWebhook(source: String, result: String) {
        registry.makeCounter(descriptor: Self.name("webhook_deliveries", unit: "total", help: "Webhook deliveries by source and result."),
                             labels: [("source", source), ("result", result)]).increment()
    }

    /// Sets the number of policy violations the last plan of `cluster` found, per validation action
    /// (a violation counts under each action its binding names). Every action is a label value from
    /// the start, so a fixed violation shows as 0 rather than as its last count.
    public func recordViolations(_ violations: [Violation], cluster: String) {
        for action in ValidationAction.allCases {
            registry.makeGauge(descriptor: Self.name("policy_violations", unit: "", help: "Policy violations in the last plan, by validation action."),
                               labels: [("cluster", cluster), ("action", action.rawValue.lowercased())])
                .set(to: Double(violations.filter { $0.actions.contains(action) }.count))
        }
    }

    /// The exposition text for `/metrics`.
    public func exposition() -> String { registry.emitToString() }

    static func name(_ metric: String, unit: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "sluice", metricName: metric, unitName: unit, helpText: help)
    }
}

/// The label sets each cluster's `sluice_objects` gauge had last time.
private final class Mutex: @unchecked Sendable {
    private let lock = NSLock()
    private var value: [String: Set<String>] = [:]

    func withLock<T>(_ body: (inout [String: Set<String>]) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
