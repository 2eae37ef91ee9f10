import Foundation
import SluiceCore
import SluiceHTTP
import SluiceKubernetes
import SluiceServer
import SluiceTestSupport
import Testing

/// Replicas sharing the clusters through one Lease per shard (issue 16 §3), in process against
/// the fake API server, on a clock the test moves by hand: the steps happen when the test says,
/// so a loaded machine cannot make a replica miss a renewal the test did not mean it to miss.
@Suite("Shard Leases: replicas of sluice serve share the clusters")
struct ShardCoordinatorTests {
    /// Wall and monotonic time, both moved by `advance` only.
    final class ManualClock: @unchecked Sendable {
        private let lock = NSLock()
        private var offset: Duration = .zero
        private let wallBase = Date()
        private let monotonicBase = ContinuousClock.now
        var now: Date { lock.withLock { wallBase.addingTimeInterval(Self.seconds(offset)) } }
        var instant: ContinuousClock.Instant { lock.withLock { monotonicBase + offset } }
        func advance(_ duration: Duration) { lock.withLock { offset += duration } }
        static func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        }
    }

    static let duration: Duration = .seconds(15)
    static let period: Duration = duration / 5

    static func replica(_ holder: String, shards: Int, fake: KubeFakeServer, clock: ManualClock) throws -> ShardCoordinator {
        let connection = try KubeConfig.load(paths: [fake.kubeconfigPath]).connection(context: "admin")
        // No retries: a failed request fails the step at once, as the test means it to.
        let client = try KubernetesClient(connection: connection, credentialCache: ExecCredentialCache(), retry: .none)
        return ShardCoordinator(client: client,
                                configuration: .init(names: ShardLeaseNames(namespace: "default", group: "sluice"), map: ShardMap(count: shards),
                                                     holder: holder, duration: duration),
                                clock: { clock.now }, monotonic: { clock.instant })
    }

    static func startFake() async throws -> KubeFakeServer {
        try await onDedicatedThread("sluice-test-kube-fake") { try KubeFakeServer() }
    }

    @Test("a cluster's shard is FNV-1a of its name: the same in every process and version")
    func stableMap() {
        // The published FNV-1a 64-bit test vectors (draft-eastlake-fnv, fnv_test_str).
        #expect(ShardMap.fnv1a("") == 0xcbf2_9ce4_8422_2325)
        #expect(ShardMap.fnv1a("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(ShardMap.fnv1a("foobar") == 0x8594_4171_f739_67e8)
        let map = ShardMap(count: 3)
        #expect(map.shard(of: "foobar") == Int(UInt64(0x8594_4171_f739_67e8) % 3))
        let shards = Set((0..<60).map { map.shard(of: "cluster-\($0)") })
        #expect(shards == [0, 1, 2], "60 names land on every shard")
        #expect(ShardLeaseNames(namespace: "ns", group: "sluice").shard(2) == "sluice-shard-2")
    }

    @Test("three replicas split six shards two each, never one shard twice; a dead replica's shards go to the others after its Leases expire")
    func balanceAndTakeover() async throws {
        let fake = try await Self.startFake()
        let clock = ManualClock()
        let replicas = try ["replica-a", "replica-b", "replica-c"].map { try Self.replica($0, shards: 6, fake: fake, clock: clock) }
        func owned() async -> [Set<Int>] {
            var sets: [Set<Int>] = []
            for replica in replicas { sets.append(await replica.ownedShards()) }
            return sets
        }
        func expectDisjoint(_ sets: [Set<Int>], _ when: String) {
            for i in sets.indices { for j in sets.indices where i < j {
                #expect(sets[i].isDisjoint(with: sets[j]), "\(when): replicas \(i) and \(j) both own \(sets[i].intersection(sets[j]))")
            } }
        }

        // First steps: each replica makes itself counted and takes nothing yet.
        for replica in replicas { await replica.step() }
        #expect(await owned().allSatisfy(\.isEmpty), "no shard is taken before the replicas have seen each other")
        clock.advance(Self.period)
        for replica in replicas { await replica.step() }
        var sets = await owned()
        #expect(sets.map(\.count) == [2, 2, 2], "ceil(6 / 3) each: \(sets)")
        #expect(sets.reduce(Set<Int>()) { $0.union($1) } == Set(0..<6))
        expectDisjoint(sets, "after balancing")
        let client = try KubernetesClient(connection: try KubeConfig.load(paths: [fake.kubeconfigPath]).connection(context: "admin"),
                                          credentialCache: ExecCredentialCache())
        for (index, shards) in sets.enumerated() {
            for shard in shards {
                #expect(try await client.lease(namespace: "default", name: "sluice-shard-\(shard)")?.holderIdentity == replicas[index].configuration.holder)
            }
        }
        // The next step reads the Leases the others took after replica-a's step.
        clock.advance(Self.period)
        for replica in replicas { await replica.step() }
        #expect(await owned() == sets, "balanced replicas keep their shards")
        let table = replicas[0].table
        #expect(table.replicas == ["replica-a", "replica-b", "replica-c"])
        #expect(table.shards.filter { $0.holder == "replica-c" }.map(\.index).sorted() == sets[2].sorted(), "the status names the holder of other shards")

        // replica-c dies (stops renewing). Its shards are not taken while their Leases last.
        let orphaned = sets[2]
        let died = clock.instant
        var takenAfter: Duration?
        while clock.instant - died < Self.duration * 2 {
            clock.advance(Self.period)
            await replicas[0].step()
            await replicas[1].step()
            sets = await owned()
            expectDisjoint(sets, "\(clock.instant - died) after replica-c died")
            let survivors = sets[0].union(sets[1])
            if survivors.isSuperset(of: orphaned) && takenAfter == nil { takenAfter = clock.instant - died }
            // The Lease runs out `duration` after the renew time written (a microsecond early, as
            // MicroTime truncates): not one step before.
            if clock.instant - died < Self.duration {
                #expect(survivors.isDisjoint(with: orphaned), "taken before the Lease expired")
            }
        }
        #expect(sets[2].isEmpty, "the dead replica's own view: its renew deadline has passed")
        #expect(sets[0].count == 3 && sets[1].count == 3, "ceil(6 / 2) each: \(sets)")
        let after = try #require(takenAfter, "the survivors took replica-c's shards")
        #expect(after >= Self.duration && after <= Self.duration + Self.period * 2, "taken within a retry period of expiry: \(after)")
    }

    @Test("a replica that joins later gets its share: the others hand over their excess, each shard once no change of its clusters is under way")
    func joinLater() async throws {
        let fake = try await Self.startFake()
        let clock = ManualClock()
        let first = try Self.replica("replica-a", shards: 4, fake: fake, clock: clock)
        await first.step()
        clock.advance(Self.period)
        await first.step()
        #expect(await first.ownedShards().count == 4, "alone, it takes every shard")
        // A change of a cluster on shard 3 is under way when the second replica joins.
        let map = ShardMap(count: 4)
        let busy = try #require((0..<100).map { "cluster-\($0)" }.first { map.shard(of: $0) == 3 })
        let change = try await first.beginChange(of: busy)
        let second = try Self.replica("replica-b", shards: 4, fake: fake, clock: clock)
        await second.step()
        clock.advance(Self.period)
        await first.step()  // sees two replicas: hands shards 2 and 3 over, 3 once its change is done
        #expect(await first.ownedShards() == [0, 1])
        await #expect(throws: ShardLostError.self, "no new change starts on a shard being handed over") {
            _ = try await first.beginChange(of: busy)
        }
        await second.step()
        #expect(await second.ownedShards() == [2], "shard 3's Lease stays with the first while its change runs")
        let client = try KubernetesClient(connection: try KubeConfig.load(paths: [fake.kubeconfigPath]).connection(context: "admin"),
                                          credentialCache: ExecCredentialCache())
        #expect(try await client.lease(namespace: "default", name: "sluice-shard-3")?.holderIdentity == "replica-a")
        // A change longer than the lease: the Lease is renewed while it runs, never taken.
        for _ in 0..<8 {
            clock.advance(Self.period)
            await first.step()
            await second.step()
        }
        #expect(await second.ownedShards() == [2])
        #expect(try await client.lease(namespace: "default", name: "sluice-shard-3")?.holderIdentity == "replica-a")

        await first.endChange(change)
        clock.advance(Self.period)
        await first.step()
        await second.step()
        #expect(await first.ownedShards() == [0, 1])
        #expect(await second.ownedShards() == [2, 3])
    }

    @Test("a replica with another --shards takes no shard while one with this count holds any")
    func otherShardCount() async throws {
        let fake = try await Self.startFake()
        let clock = ManualClock()
        let old = try Self.replica("replica-a", shards: 2, fake: fake, clock: clock)
        await old.step()
        clock.advance(Self.period)
        await old.step()
        #expect(await old.ownedShards() == [0, 1])
        let new = try Self.replica("replica-b", shards: 3, fake: fake, clock: clock)
        for _ in 0..<4 {
            clock.advance(Self.period)
            await new.step()
            await old.step()
        }
        #expect(await new.ownedShards().isEmpty, "shard 2 is free, but clusters map otherwise with 3 shards")
        #expect(await old.ownedShards() == [0, 1], "the other count's replica is not counted as a sharer")
        #expect(new.table.error?.contains("--shards 2") == true, "\(String(describing: new.table.error))")
    }

    @Test("a replica that cannot renew stops changing its clusters before its Leases expire")
    func renewDeadline() async throws {
        let fake = try await Self.startFake()
        let clock = ManualClock()
        let replica = try Self.replica("replica-a", shards: 2, fake: fake, clock: clock)
        await replica.step()
        clock.advance(Self.period)
        await replica.step()
        #expect(await replica.ownedShards() == [0, 1])
        let client = try KubernetesClient(connection: try KubeConfig.load(paths: [fake.kubeconfigPath]).connection(context: "admin"),
                                          credentialCache: ExecCredentialCache())
        let expires = try #require(try await client.lease(namespace: "default", name: "sluice-shard-0")?.expires)
        let cluster = try #require((0..<50).map { "cluster-\($0)" }.first { ShardMap(count: 2).shard(of: $0) == 0 })
        let ownership = await replica.ownership()
        #expect(ownership.owns(cluster))
        let change = try await replica.beginChange(of: cluster)
        await replica.endChange(change)

        // The API server stops answering this replica (every request fails).
        try await onDedicatedThread("sluice-test-kube-fake") { try fake.throttleNext(10_000, status: 503) }
        var lostAt: Date?
        for _ in 0..<8 {
            clock.advance(Self.period)
            await replica.step()
            if lostAt == nil, await replica.ownedShards().isEmpty { lostAt = clock.now }
        }
        let lost = try #require(lostAt, "the replica gave the shards up")
        #expect(lost < expires, "given up at \(lost), before the Lease could expire at \(expires) and another replica take it")
        #expect(expires.timeIntervalSince(lost) >= ManualClock.seconds(Self.duration) / 3 - ManualClock.seconds(Self.period),
                "with a third of the duration to spare, less one step")
        #expect(replica.table.error != nil, "the status says why the Leases could not be renewed")
        let refused = await #expect(throws: ShardLostError.self) { _ = try await replica.beginChange(of: cluster) }
        #expect(refused?.shard == 0 && refused?.cluster == cluster)
        try await onDedicatedThread("sluice-test-kube-fake") { try fake.throttleNext(0) }
    }
}
