import Foundation
import SluiceCore
import SluiceHTTP
import SluiceKubernetes
import SluiceServer
import SluiceTestSupport
import SluiceYAML
import Testing

/// Three replicas of `sluice serve --shards 3`, as deploy/ runs them, against the fake API server
/// (which holds the Leases and is also every cluster they sync, one namespace per cluster).
/// One replica is killed without a word: its clusters must be synced by the others within two
/// Lease periods, and no cluster may ever be synced by two replicas at once.
@Suite("sluice serve with three replicas sharing the clusters")
struct ShardedServeTests {
    static let readToken = "ro-\(UUID().uuidString)"
    /// The default duration, which the two-replica test has run on this loaded machine for long;
    /// shorter leases were lost to a starved cooperative pool.
    static let leaseSeconds = 15.0

    final class Replica: @unchecked Sendable {
        let name: String
        let port: UInt16
        let process: SpawnedProcess
        let work: TemporaryDirectory
        var state: URL { work.url.appendingPathComponent("state-\(name)") }

        init(_ name: String, repository: URL, kubeconfig: String, work: TemporaryDirectory) throws {
            self.name = name
            self.work = work
            port = try freePort()
            process = try SpawnedProcess(SluiceBinary.url.path, [
                "serve", "--repo", repository.path, "--revision", "main", "--interval", "1",
                "--listen", "127.0.0.1:\(port)", "--state-dir", work.url.appendingPathComponent("state-\(name)").path,
                "--leader-election", "default/sluice", "--shards", "3", "--lease-duration", "\(Int(ShardedServeTests.leaseSeconds))s",
            ], env: ["KUBECONFIG": kubeconfig, "POD_NAME": name, "SLUICE_API_READ_TOKEN": ShardedServeTests.readToken,
                     "SLUICE_ALLOWED_ROOTS": URL(fileURLWithPath: kubeconfig).deletingLastPathComponent().path],
               stderrPath: work.url.appendingPathComponent("\(name).log").path)
        }

        /// The status API's document, or `nil` while it does not answer.
        func status() async -> Value? {
            let client = HTTPClient(configuration: .init(bearerToken: ShardedServeTests.readToken, timeout: .seconds(5), retry: .none))
            guard let url = URL(string: "http://127.0.0.1:\(port)/api/v1/status"),
                  let response = try? await client.send(HTTPRequest(.GET, url)), response.status == 200 else { return nil }
            return try? JSON.decode(Array(response.body))
        }

        var log: String { (try? String(contentsOf: work.url.appendingPathComponent("\(name).log"), encoding: .utf8)) ?? "" }
    }

    /// The clusters each replica says it syncs itself (owner is itself), from its status.
    static func claims(_ status: Value?) -> Set<String> {
        guard let status, let me = status["replica"]?.stringValue else { return [] }
        return Set((status["clusters"]?.listValue ?? []).compactMap { cluster in
            cluster["owner"]?.stringValue == me ? cluster["name"]?.stringValue : nil
        })
    }

    @Test("each replica syncs its shard's clusters; kill one and the others sync its clusters within two Lease periods, never two at once")
    func shareAndTakeOver() async throws {
        let fake = try await onDedicatedThread("sluice-test-kube-fake") { try KubeFakeServer() }
        let client = try KubernetesClient(connection: KubeConfig.load(paths: [fake.kubeconfigPath]).connection(context: "admin"))
        let work = try TemporaryDirectory(prefix: "sluice-shards")
        let repository = work.url.appendingPathComponent("specs")
        // Two clusters on each of the three shards.
        let map = ShardMap(count: 3)
        let names = (0..<60).map { "k8s-\($0)" }
        let clusters = (0..<3).flatMap { shard in names.filter { map.shard(of: $0) == shard }.prefix(2) }
        #expect(clusters.count == 6)
        for cluster in clusters {
            _ = try work.write("specs/clusters/\(cluster).yaml", """
                apiVersion: sluice.dev/v1alpha1
                kind: Cluster
                metadata: {name: \(cluster), labels: {name: \(cluster)}}
                spec: {tier: public, driver: kubernetes, kubernetes: {kubeconfig: \(fake.kubeconfigPath), context: admin}}
                """)
            _ = try work.write("specs/environments/\(cluster).yaml", """
                apiVersion: sluice.dev/v1alpha1
                kind: Environment
                metadata: {name: env-\(cluster)}
                spec: {namespace: ns-\(cluster), clusters: {matchLabels: {name: \(cluster)}}, jobs: {matchLabels: {app.kubernetes.io/part-of: shop}}}
                """)
        }
        func commit(mode: String) async throws {
            _ = try work.write("specs/jobs/settings.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings, labels: {app.kubernetes.io/part-of: shop}}
                data: {mode: \(mode)}
                """)
            try await onDedicatedThread("sluice-test-git") {
                try git(["add", "-A"], in: repository)
                try git(["commit", "-qm", "mode \(mode)"], in: repository)
            }
        }
        try await onDedicatedThread("sluice-test-git") { _ = try git(["init", "-q"], in: repository) }
        try await commit(mode: "one")
        func mode(_ cluster: String) async -> String? {
            try? await client.get(ObjectReference(apiVersion: "v1", kind: "ConfigMap", namespace: "ns-\(cluster)", name: "settings"))?[path: "data", "mode"]?.stringValue
        }
        func everywhere(_ expected: String, among: [String] = clusters) async -> Bool {
            for cluster in among {
                if await mode(cluster) != expected { return false }
            }
            return true
        }
        func holder(ofShard shard: Int) async -> String? {
            try? await client.lease(namespace: "default", name: "sluice-shard-\(shard)")?.holderIdentity
        }

        let replicas = try ["replica-a", "replica-b", "replica-c"].map {
            try Replica($0, repository: repository, kubeconfig: fake.kubeconfigPath, work: work)
        }
        defer { for replica in replicas { replica.process.stop(graceSeconds: 0) } }
        func logs() -> String { replicas.map { "\($0.name).log:\n\($0.log)" }.joined(separator: "\n") }

        // Balanced: one shard each (the first to start hands the excess over once it sees the others).
        #expect(await eventually(timeout: .seconds(120)) {
            var holders: [String] = []
            for shard in 0..<3 { holders.append(await holder(ofShard: shard) ?? "") }
            return Set(holders) == Set(replicas.map(\.name))
        }, "\(logs())")
        #expect(await eventually(timeout: .seconds(60)) { await everywhere("one") }, "\(logs())")

        // Sample every replica's claims while the rest runs: never two owners of one cluster.
        let sampling = Task { () -> [String] in
            var doubleClaims: [String] = []
            for _ in 0..<600 where !Task.isCancelled {
                var owners: [String: [String]] = [:]
                for replica in replicas where replica.process.isRunning {
                    for cluster in Self.claims(await replica.status()) { owners[cluster, default: []].append(replica.name) }
                }
                doubleClaims += owners.filter { $0.value.count > 1 }.map { "\($0.key): \($0.value)" }
                try? await Task.sleep(for: .milliseconds(300))
            }
            return doubleClaims
        }

        try await commit(mode: "two")
        #expect(await eventually(timeout: .seconds(60)) { await everywhere("two") }, "\(logs())")
        // Each replica's status names the owner of every cluster: itself for its shard's, the
        // holder for the others (as it read the Leases at its last step, a few seconds ago at most).
        var disagreements: [String] = []
        #expect(await eventually(timeout: .seconds(20)) {
            disagreements = []
            for replica in replicas {
                let status = await replica.status()
                let listed = (status?["clusters"]?.listValue ?? []).compactMap { $0["name"]?.stringValue }
                if Set(listed) != Set(clusters) { disagreements.append("\(replica.name) lists \(listed.sorted())") }
                for cluster in status?["clusters"]?.listValue ?? [] {
                    let name = cluster["name"]?.stringValue ?? ""
                    let shardHolder = await holder(ofShard: map.shard(of: name))
                    if cluster["shard"]?.intValue != map.shard(of: name) || cluster["owner"]?.stringValue != shardHolder {
                        disagreements.append("\(replica.name): \(name) shard \(cluster["shard"]?.intValue ?? -1) owner \(cluster["owner"]?.stringValue ?? "none"), Lease holder \(shardHolder ?? "none")")
                    }
                }
            }
            return disagreements.isEmpty
        }, "\(disagreements)")

        // Kill the holder of shard 0 without a word (no release): its Lease must expire first.
        let victimName = try #require(await holder(ofShard: 0))
        let victim = try #require(replicas.first { $0.name == victimName })
        let orphaned = clusters.filter { map.shard(of: $0) == 0 }
        kill(victim.process.pid, SIGKILL)
        let killed = ContinuousClock.now
        try await commit(mode: "three")
        let survivors = replicas.filter { $0 !== victim }
        #expect(await eventually(timeout: .seconds(Self.leaseSeconds * 2)) { await everywhere("three") },
                "within two Lease periods of the kill: \(logs())")
        let tookOver = ContinuousClock.now - killed
        let newHolder = await holder(ofShard: 0)
        #expect(survivors.contains { $0.name == newHolder }, "a survivor holds shard 0, not \(String(describing: newHolder))")
        #expect(await everywhere("three", among: orphaned))

        sampling.cancel()
        let doubleClaims = await sampling.value
        #expect(doubleClaims.isEmpty, "claimed by two replicas at once: \(doubleClaims)")
        for survivor in survivors { await onDedicatedThread("sluice-test-stop") { survivor.process.stop(graceSeconds: 10) } }
        // SIGTERM released their shards: the next replica need not wait out the lease.
        for shard in 0..<3 {
            #expect(await holder(ofShard: shard) == "", "shard \(shard) still held after SIGTERM")
        }

        // The journals: each change of a cluster (its spec hash) was applied and gated by exactly
        // one replica; a second replica syncing at the same time would have applied it too.
        var appliedBy: [String: Set<String>] = [:]
        for replica in replicas {
            let journal = try Journal(directory: replica.state)
            for record in try journal.records() where record.step == .healthGate && record.phase == .outcome {
                appliedBy["\(record.cluster) \(record.specHash ?? "")", default: []].insert(replica.name)
            }
        }
        #expect(appliedBy.count == clusters.count * 3, "six clusters, three modes: \(appliedBy.keys.sorted())")
        #expect(appliedBy.values.allSatisfy { $0.count == 1 }, "\(appliedBy.filter { $0.value.count > 1 })")
        print("shard 0 taken over and synced \(tookOver) after the kill (lease \(Self.leaseSeconds) s)")
    }
}
