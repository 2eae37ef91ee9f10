import Foundation
import SluiceCore
import SluiceKubernetes
import SluiceYAML

/// Replicas of `sluice serve` sharing the clusters (`--shards N`): a replica syncs the clusters
/// of the shards whose `coordination.k8s.io/v1` Leases it holds (the Lease code leader election
/// uses), and takes over the shards of a replica that died once their Leases expire.
///
/// Every `retryPeriod` (a fifth of the lease duration) a replica renews its own replica Lease
/// (so the others count it), lists the group's Leases, renews the shards it holds, and balances:
///
/// - It holds at most `ceil(shards / live replicas)` shards; above that it releases the excess,
///   each once no change of its clusters is under way, so a replica that joins gets its share.
/// - It takes a free shard (never created, released, or expired) while it holds fewer than that;
///   and any shard it has seen free for longer than one retry period, whatever it holds, so a
///   shard never stays orphaned because the counts were briefly off.
/// - Its first step takes nothing: replicas that start together see each other's replica Leases
///   before any takes a shard, instead of the first one taking them all.
///
/// Never two at once: a shard counts as held only until `renewDeadline` (two thirds of the
/// duration, as client-go's 10 s of 15 s) after the last renewal that succeeded, measured on
/// this host's monotonic clock from before the request was sent. Others may take it only after
/// the full duration since the renew time written in the Lease, so a replica that cannot renew
/// stops changing those clusters a third of the duration before anybody else may start. Every
/// change checks the shard (`beginChange`); the per-cluster sync Lease (`KubernetesClusterLease`)
/// stays as the second guard.
public actor ShardCoordinator {
    public struct Configuration: Sendable {
        public var names: ShardLeaseNames
        public var map: ShardMap
        /// This replica's identity, written into the Leases it holds (the pod name in deploy/).
        public var holder: String
        public var duration: Duration

        public init(names: ShardLeaseNames, map: ShardMap, holder: String, duration: Duration = .seconds(15)) {
            self.names = names
            self.map = map
            self.holder = holder
            self.duration = duration
        }

        public var retryPeriod: Duration { duration / 5 }
        public var renewDeadline: Duration { duration * 2 / 3 }
    }

    public let configuration: Configuration
    private let client: KubernetesClient
    private let clock: @Sendable () -> Date
    private let monotonic: @Sendable () -> ContinuousClock.Instant
    private let log: @Sendable (String) -> Void
    private var onGained: (@Sendable () async -> Void)?

    /// The shards this replica holds, each until its renew deadline.
    private var heldUntil: [Int: ContinuousClock.Instant] = [:]
    /// Shards being handed over: no new change starts; released once none is under way.
    private var releasing: Set<Int> = []
    private var changesUnderWay: [Int: Int] = [:]
    /// When this replica first saw each free shard free (local clock).
    private var seenFree: [Int: ContinuousClock.Instant] = [:]
    private var steps = 0
    /// Set by `releaseAll`: no Lease is taken or renewed any more.
    private var stopped = false
    private let published = Published()

    public init(client: KubernetesClient, configuration: Configuration,
                clock: @escaping @Sendable () -> Date = Date.init,
                monotonic: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.client = client
        self.configuration = configuration
        self.clock = clock
        self.monotonic = monotonic
        self.log = log
        published.set(ShardTable(replica: configuration.holder, shardCount: configuration.map.count, shards: [], replicas: [], observed: nil, error: nil))
    }

    /// Called after a step that gained shards (the loop plans their clusters at once).
    public func onGainingShards(_ action: @escaping @Sendable () async -> Void) { onGained = action }

    // MARK: What the loop asks

    /// The shards this replica may change clusters of now.
    public func ownedShards() -> Set<Int> {
        let now = monotonic()
        return Set(heldUntil.filter { $0.value > now && !releasing.contains($0.key) }.keys)
    }

    public var holdsAnyShard: Bool { !ownedShards().isEmpty }

    /// Which clusters this replica owns now, and the guard its drivers check before every change.
    public func ownership() -> ClusterOwnership {
        let owned = ownedShards(), map = configuration.map
        return ClusterOwnership(owns: { owned.contains(map.shard(of: $0)) }, coordinator: self)
    }

    /// The last view of every shard and replica, for the status API (never blocks).
    public nonisolated var table: ShardTable { published.get() }

    /// Before one change of `cluster`: throws unless this replica holds the cluster's shard with
    /// time to spare; otherwise counts the change as under way until `endChange`.
    public func beginChange(of cluster: String) throws -> Int {
        let shard = configuration.map.shard(of: cluster)
        guard let until = heldUntil[shard], until > monotonic(), !releasing.contains(shard) else {
            throw ShardLostError(cluster: cluster, shard: shard, lease: "\(configuration.names.namespace)/\(configuration.names.shard(shard))",
                                 holder: table.shards.first { $0.index == shard }?.holder)
        }
        changesUnderWay[shard, default: 0] += 1
        return shard
    }

    public func endChange(_ shard: Int) {
        changesUnderWay[shard, default: 1] -= 1
        if changesUnderWay[shard] == 0 { changesUnderWay[shard] = nil }
    }

    // MARK: Steps

    /// Steps every retry period until cancelled.
    public func run() async {
        while !Task.isCancelled {
            await step()
            try? await Task.sleep(for: configuration.retryPeriod)
        }
    }

    /// One step: be counted, read the group, renew, hand over the excess, take what is free.
    public func step() async {
        let names = configuration.names, map = configuration.map, holder = configuration.holder
        let duration = configuration.duration
        guard !stopped else { return }
        steps += 1
        var error: String?
        let replicaLabels = [ShardLeaseNames.groupLabel: names.group, ShardLeaseNames.roleLabel: "replica"]
        do {
            _ = try await client.tryAcquireLease(namespace: names.namespace, name: names.replica(holder), holder: holder,
                                                 duration: duration, now: clock(), labels: replicaLabels,
                                                 annotations: [ShardLeaseNames.countAnnotation: String(map.count)])
        } catch let failure {
            error = "cannot renew the replica Lease \(names.namespace)/\(names.replica(holder)): \(failure)"
        }
        var listed: [Value]?
        do {
            listed = try await client.list(apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace: names.namespace,
                                           labelSelector: names.selector)
        } catch let failure {
            error = "cannot list the shard Leases in \(names.namespace): \(failure)"
        }
        let now = clock()
        var shards: [Int: KubernetesClient.LeaseRecord] = [:]
        var replicas: Set<String> = [holder]
        var departed: [String] = []
        var otherCount: String?
        for item in listed ?? [] {
            let record = KubernetesClient.leaseRecord(item)
            let role = item[path: "metadata", "labels", ShardLeaseNames.roleLabel]?.stringValue
            // Only replicas with this shard count share these shards.
            let count = item[path: "metadata", "annotations", ShardLeaseNames.countAnnotation]?.stringValue
            if role == "replica", !record.isFree(at: now), count == nil || count == String(map.count) { replicas.insert(record.holderIdentity) }
            // A Deployment's pods get new names: the replica Leases of pods long gone are removed.
            if role == "replica", let expires = record.expires, expires.addingTimeInterval(Self.seconds(duration) * 10) < now,
               let name = item[path: "metadata", "name"]?.stringValue {
                departed.append(name)
            }
            // A live shard Lease written by a replica with another --shards maps clusters otherwise.
            if role == "shard", !record.isFree(at: now), record.holderIdentity != holder,
               let count, count != String(map.count) {
                otherCount = "\(record.holderIdentity) runs --shards \(count), this replica \(map.count): taking no shard until it is gone"
            }
            if role == "shard", let name = item[path: "metadata", "name"]?.stringValue,
               let index = (0..<map.count).first(where: { names.shard($0) == name }) {
                shards[index] = record
            }
        }

        for name in departed.prefix(5) {
            try? await client.delete(ObjectReference(apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace: names.namespace, name: name))
        }

        // Renew what is held, a shard being handed over too: its change under way keeps it.
        for shard in heldUntil.keys.sorted() {
            let sent = monotonic()
            do {
                if try await acquire(shard, now: clock()) {
                    heldUntil[shard] = sent + configuration.renewDeadline
                } else {
                    lose(shard, because: "it was taken over by \(shards[shard]?.holderIdentity ?? "another replica")")
                }
            } catch let failure {
                error = "cannot renew the shard Lease \(names.namespace)/\(names.shard(shard)): \(failure)"
            }
        }
        for (shard, until) in heldUntil where until <= monotonic() {
            lose(shard, because: "it could not be renewed within \(DurationText.format(configuration.renewDeadline))")
        }

        // Hand over what is above this replica's share, once no change of its clusters is under way.
        let share = (map.count + replicas.count - 1) / replicas.count
        if listed != nil {
            let excess = heldUntil.count - releasing.count - share
            if excess > 0 {
                for shard in heldUntil.keys.filter({ !releasing.contains($0) }).sorted().suffix(excess) { releasing.insert(shard) }
            }
        }
        for shard in releasing.sorted() where changesUnderWay[shard] == nil {
            heldUntil[shard] = nil
            releasing.remove(shard)
            _ = try? await client.releaseLease(namespace: names.namespace, name: names.shard(shard), holder: holder, now: clock())
            log("handed over shard \(shard) (\(share) of \(map.count) shards for \(replicas.count) replicas)")
        }

        // Take what is free: up to the share, and anything free for longer than one retry period.
        var gained: [Int] = []
        if let otherCount { error = otherCount }
        if listed != nil, steps > 1, otherCount == nil {
            let start = Int(ShardMap.fnv1a(holder) % UInt64(map.count))
            for offset in 0..<map.count {
                let shard = (start + offset) % map.count
                guard heldUntil[shard] == nil else { seenFree[shard] = nil; continue }
                guard shards[shard].map({ $0.isFree(at: now) }) ?? true else { seenFree[shard] = nil; continue }
                let firstSeen = seenFree[shard] ?? monotonic()
                seenFree[shard] = firstSeen
                let orphaned = monotonic() - firstSeen > configuration.retryPeriod
                guard heldUntil.count - releasing.count < share || orphaned else { continue }
                let sent = monotonic()
                do {
                    if try await acquire(shard, now: clock()) {
                        heldUntil[shard] = sent + configuration.renewDeadline
                        seenFree[shard] = nil
                        gained.append(shard)
                    }
                } catch let failure {
                    error = "cannot take the shard Lease \(names.namespace)/\(names.shard(shard)): \(failure)"
                }
            }
        } else if listed != nil {
            for shard in 0..<map.count where heldUntil[shard] == nil && (shards[shard].map { $0.isFree(at: now) } ?? true) {
                seenFree[shard] = seenFree[shard] ?? monotonic()
            }
        }
        if !gained.isEmpty { log("took shard \(gained.map(String.init).joined(separator: ", ")) (holding \(ownedShards().sorted()))") }
        if let error { log(error) }
        publish(shards: shards, replicas: replicas, error: error, listed: listed != nil)
        if !gained.isEmpty, let onGained { await onGained() }
    }

    /// Releases every shard (SIGTERM: the next replica takes them at once instead of after the
    /// lease duration). Call once no round runs.
    public func releaseAll() async {
        stopped = true
        let names = configuration.names
        for shard in heldUntil.keys.sorted() {
            _ = try? await client.releaseLease(namespace: names.namespace, name: names.shard(shard), holder: configuration.holder, now: clock())
        }
        heldUntil = [:]
        releasing = []
        _ = try? await client.releaseLease(namespace: names.namespace, name: names.replica(configuration.holder), holder: configuration.holder, now: clock())
    }

    private func acquire(_ shard: Int, now: Date) async throws -> Bool {
        let names = configuration.names
        guard !stopped else { return false }
        let taken = try await client.tryAcquireLease(
            namespace: names.namespace, name: names.shard(shard), holder: configuration.holder, duration: configuration.duration, now: now,
            labels: [ShardLeaseNames.groupLabel: names.group, ShardLeaseNames.roleLabel: "shard"],
            annotations: [ShardLeaseNames.shardAnnotation: String(shard), ShardLeaseNames.countAnnotation: String(configuration.map.count)])
        // Stopped while the request was under way: let go at once.
        if taken && stopped {
            _ = try? await client.releaseLease(namespace: names.namespace, name: names.shard(shard), holder: configuration.holder, now: clock())
            return false
        }
        return taken
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    private func lose(_ shard: Int, because reason: String) {
        heldUntil[shard] = nil
        releasing.remove(shard)
        log("lost shard \(shard): \(reason); its clusters are no longer changed here")
    }

    private func publish(shards: [Int: KubernetesClient.LeaseRecord], replicas: Set<String>, error: String?, listed: Bool) {
        let owned = ownedShards()
        let previous = published.get()
        let rows: [ShardTable.Shard] = (0..<configuration.map.count).map { index in
            if owned.contains(index) {
                return ShardTable.Shard(index: index, holder: configuration.holder, renewed: shards[index]?.renewTime, expires: shards[index]?.expires)
            }
            guard listed else { return previous.shards.first { $0.index == index } ?? ShardTable.Shard(index: index) }
            // Read before this step handed it over or lost it: this replica is no longer its owner.
            guard let record = shards[index], !record.isFree(at: clock()), record.holderIdentity != configuration.holder else {
                return ShardTable.Shard(index: index)
            }
            return ShardTable.Shard(index: index, holder: record.holderIdentity, renewed: record.renewTime, expires: record.expires)
        }
        published.set(ShardTable(replica: configuration.holder, shardCount: configuration.map.count, shards: rows,
                                 replicas: listed ? replicas.sorted() : previous.replicas, observed: listed ? clock() : previous.observed, error: error))
    }

    /// The table the status API reads without waiting for the actor.
    private final class Published: @unchecked Sendable {
        private let lock = NSLock()
        private var value = ShardTable(replica: "", shardCount: 0, shards: [], replicas: [], observed: nil, error: nil)
        func get() -> ShardTable { lock.withLock { value } }
        func set(_ table: ShardTable) { lock.withLock { value = table } }
    }
}

/// Every shard's holder as this replica last read the Leases, for the status API.
public struct ShardTable: Sendable, Equatable {
    public struct Shard: Sendable, Equatable {
        public var index: Int
        /// `nil` when nobody holds the shard (free or expired).
        public var holder: String?
        public var renewed: Date?
        public var expires: Date?

        public init(index: Int, holder: String? = nil, renewed: Date? = nil, expires: Date? = nil) {
            self.index = index
            self.holder = holder
            self.renewed = renewed
            self.expires = expires
        }
    }

    /// This replica's identity.
    public var replica: String
    public var shardCount: Int
    public var shards: [Shard]
    /// The replicas whose replica Leases are live (this one included).
    public var replicas: [String]
    /// When the Leases were last read.
    public var observed: Date?
    /// Why the last step could not read or write a Lease, if it could not.
    public var error: String?

    public func holder(ofShard index: Int) -> String? { shards.first { $0.index == index }?.holder }
}

/// A change of a cluster whose shard this replica no longer holds (or never did) was refused.
public struct ShardLostError: SluiceError {
    public var cluster: String
    public var shard: Int
    public var lease: String
    public var holder: String?

    public var message: String {
        "cluster \(cluster): this replica does not hold its shard \(shard) (Lease \(lease)\(holder.map { ", held by \($0)" } ?? "")); stopping before another change"
    }

    public var hint: String? {
        "the replica that holds the shard syncs this cluster; if none does, check that the replicas can reach the API server to renew their Leases"
    }
}
