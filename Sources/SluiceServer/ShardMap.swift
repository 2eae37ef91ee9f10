import Foundation

/// Which shard each cluster belongs to when replicas of `sluice serve` share the clusters
/// (`--shards N`), and the names of the Leases that stand for the shards and the replicas.
///
/// A cluster's shard is the 64-bit FNV-1a hash of its name's UTF-8 bytes modulo the shard count:
/// it depends on nothing but the name and the count, so every replica, of any version, on any
/// host, computes the same map (Swift's `Hasher` is seeded per process and would not).
public struct ShardMap: Sendable, Hashable {
    /// How many shards (1 or more).
    public let count: Int

    /// Shards and replicas at most; more shards than this is not what sharding is for (each
    /// shard costs a Lease renewal every few seconds).
    public static let maxShards = 256

    public init(count: Int) {
        precondition(count >= 1, "a shard map needs at least one shard")
        self.count = count
    }

    /// The shard of the cluster `name`.
    public func shard(of name: String) -> Int {
        Int(Self.fnv1a(name) % UInt64(count))
    }

    /// 64-bit FNV-1a of the UTF-8 bytes: the same on every host and in every version.
    public static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
    }
}

/// The Leases of one group of sharing replicas, all in one namespace and named after the
/// `--leader-election` Lease `<name>`: `<name>-shard-<i>` for shard `i`, and
/// `<name>-replica-<hash>` for each replica (its holder identity, hashed into a valid name), which
/// the replicas renew to be counted. Every one carries the label `sluice.dev/shard-group: <name>`,
/// so one list request finds them all.
public struct ShardLeaseNames: Sendable, Hashable {
    public let namespace: String
    public let group: String

    public static let groupLabel = "sluice.dev/shard-group"
    public static let roleLabel = "sluice.dev/shard-role"
    /// On a shard Lease: its index, and the shard count the replica that wrote it runs with.
    public static let shardAnnotation = "sluice.dev/shard"
    public static let countAnnotation = "sluice.dev/shards"

    public init(namespace: String, group: String) {
        self.namespace = namespace
        self.group = group
    }

    public func shard(_ index: Int) -> String { "\(group)-shard-\(index)" }

    public func replica(_ identity: String) -> String {
        "\(group)-replica-" + String(format: "%016llx", ShardMap.fnv1a(identity))
    }

    public var selector: String { "\(Self.groupLabel)=\(group)" }
}
