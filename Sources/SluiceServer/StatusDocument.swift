import Foundation
import SluiceGit
import SluiceStatusClient
import SluiceSync

extension ReconcileLoop {
    /// What the status API and the dashboard show, read at one moment.
    public struct Snapshot: Sendable {
        public var lastGood: String?
        public var pinned: String?
        public var round: Round?
        public var unverified: UnverifiedRevision?
        /// With `--shards`: who holds each shard, as last read.
        public var shards: ShardTable?
        /// The round in progress; `nil` between rounds.
        public var progress: RoundProgress?
    }

    public func snapshot() -> Snapshot {
        Snapshot(lastGood: lastGood, pinned: pinned, round: lastRound, unverified: unverified, shards: shardTable?(),
                 progress: tracker.progress)
    }
}

/// `GET /api/v1/status`: per cluster and object, sync status, health with its reason, the
/// revision, and the last operation with its result.
struct StatusDocument: Encodable {
    struct Object: Encodable {
        var object: String
        var environment: String?
        var sync: String
        var action: String
        var reason: String
        var health: String?
        var healthReason: String?
        var lastOperation: String?
        var lastOperationSucceeded: Bool?
        var changes: [String]
        /// The revision the live object was applied from; the pending change's Flink class; the job (see StatusAPI.swift).
        var liveRevision: String? = nil
        var changeClass: String? = nil
        var job: JobStatus? = nil
    }

    struct Cluster: Encodable {
        var name: String
        var driver: String
        var tier: String
        var status: String
        var message: String
        var wave: Int?
        var revision: String?
        var objects: [Object]
        /// With `--shards`: the cluster's shard and the replica that holds it (`nil`: nobody now).
        var shard: Int?
        var owner: String?
        /// The worst health of its objects (degraded, missing, progressing, unknown, healthy); null with no object.
        var health: String? = nil
    }

    var revision: String?
    var lastGoodRevision: String?
    var pinnedRevision: String?
    var gitReachable: Bool?
    var lastRound: Date?
    var lastRoundReason: String?
    var message: String?
    /// Whether this replica leads (syncs); a follower only plans.
    var leader: Bool?
    /// `<sha> <reason> (signer …, key …)` while the branch head is refused for its signature.
    var unverified: String?
    /// The same, field by field.
    var unverifiedDetail: Unverified?
    var clusters: [Cluster]
    /// With `--shards`: this replica, and every shard's holder as this replica last read the Leases.
    var replica: String?
    var sharding: ShardStatus?
    /// The round in progress (null between rounds): phase, revision and each cluster's state.
    var progress: RoundProgress.OrNull
    /// `--forge-url`, for commit links (`<forgeURL>/commit/<sha>`).
    var forgeURL: String? = nil

    struct Unverified: Encodable {
        var revision: String
        var object: String
        var reason: String
        var detail: String?
        var signer: String?
        var fingerprint: String?
        var since: Date
    }

    init(_ snapshot: ReconcileLoop.Snapshot) {
        let round = snapshot.round
        revision = round?.revision
        lastGoodRevision = snapshot.lastGood
        pinnedRevision = snapshot.pinned
        gitReachable = round?.gitReachable
        lastRound = round?.finished
        lastRoundReason = round?.reason.description
        message = round?.message
        leader = round?.leading
        unverified = snapshot.unverified?.summary
        progress = RoundProgress.OrNull(snapshot.progress)
        unverifiedDetail = snapshot.unverified.map {
            Unverified(revision: $0.revision, object: $0.error.object, reason: $0.error.reason.rawValue, detail: $0.error.detail,
                       signer: $0.error.signer, fingerprint: $0.error.fingerprint, since: $0.since)
        }
        let results = Dictionary((round?.synced?.clusters ?? []).map { ($0.cluster, $0) }, uniquingKeysWith: { first, _ in first })
        clusters = (round?.plan?.clusters ?? []).map { plan in
            let result = results[plan.cluster.name]
            let outcomes = Dictionary((result?.actions ?? []).map { ($0.action.identity, $0) }, uniquingKeysWith: { first, _ in first })
            return Cluster(
                name: plan.cluster.name, driver: plan.cluster.driver.rawValue, tier: plan.cluster.tier.rawValue,
                status: plan.failure != nil ? "error" : result?.status.rawValue ?? "unknown",
                message: plan.failure?.description ?? result?.message ?? "", wave: result?.wave, revision: round?.revision,
                objects: plan.actions.map { action in
                    let outcome = outcomes[action.identity]
                    let health = outcome?.health ?? action.live?.health
                    return Object(object: action.identity.description, environment: action.desired?.environment,
                                  sync: action.kind == .none ? "synced" : action.kind == .drift ? "drifted" : (outcome?.succeeded == true ? "synced" : "out-of-sync"),
                                  action: action.kind.rawValue, reason: action.reason, health: health?.status.rawValue,
                                  healthReason: health?.reason, lastOperation: outcome.map { "\($0.action.kind.rawValue): \($0.message)" },
                                  lastOperationSucceeded: outcome?.succeeded, changes: action.changes.map(\.description))
                })
        }
        if let table = snapshot.shards { shard(with: table, every: round?.allClusters ?? []) }
    }
}
