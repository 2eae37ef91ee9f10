import Foundation
import SluiceSpec

/// The status API's view of a replica that shares the clusters (`--shards`).
struct ShardStatus: Encodable {
    struct Shard: Encodable {
        var shard: Int
        var holder: String?
        var renewTime: Date?
        var expires: Date?
    }

    var shardCount: Int
    /// The replicas whose replica Leases were live when last read (this one included).
    var replicas: [String]
    var shards: [Shard]
    var observed: Date?
    var error: String?
}

extension StatusDocument {
    /// Each cluster says its shard and owner; the clusters of shards other replicas hold are
    /// listed by name with their holder (their status is that replica's to tell).
    mutating func shard(with table: ShardTable, every all: [ClusterSpec]) {
        let map = ShardMap(count: max(table.shardCount, 1))
        replica = table.replica
        sharding = ShardStatus(shardCount: table.shardCount, replicas: table.replicas,
                               shards: table.shards.map { .init(shard: $0.index, holder: $0.holder, renewTime: $0.renewed, expires: $0.expires) },
                               observed: table.observed, error: table.error)
        var listed = Set<String>()
        clusters = clusters.map { cluster in
            var cluster = cluster
            cluster.shard = map.shard(of: cluster.name)
            cluster.owner = table.holder(ofShard: cluster.shard!)
            listed.insert(cluster.name)
            // A cluster whose shard went elsewhere since the last round is that replica's to report.
            return cluster.owner == table.replica ? cluster : Self.elsewhere(cluster.name, driver: cluster.driver, tier: cluster.tier, shard: cluster.shard!, owner: cluster.owner)
        }
        for spec in all where !listed.contains(spec.name) {
            let shard = map.shard(of: spec.name)
            clusters.append(Self.elsewhere(spec.name, driver: spec.driver.rawValue, tier: spec.tier.rawValue, shard: shard, owner: table.holder(ofShard: shard)))
        }
        clusters.sort { $0.name < $1.name }
    }

    private static func elsewhere(_ name: String, driver: String, tier: String, shard: Int, owner: String?) -> Cluster {
        Cluster(name: name, driver: driver, tier: tier, status: owner == nil ? "unowned" : "other-replica",
                message: owner.map { "shard \(shard) is held by \($0), which syncs this cluster and reports its status" }
                    ?? "nobody holds shard \(shard) now; a replica takes it over once its Lease has expired",
                wave: nil, revision: nil, objects: [], shard: shard, owner: owner)
    }
}
