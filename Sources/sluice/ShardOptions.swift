import ArgumentParser
import Foundation
import SluiceKubernetes
import SluiceServer
import SluiceSpec

/// `sluice serve --shards N`: the replicas share the clusters through one Lease per shard.
enum ShardOptions {
    static func check(shards: Int, leaderElection: String?, once: Bool) throws {
        guard shards > 1 else { return }
        if once {
            throw ValidationError("--once runs one round over every cluster and holds no shard: drop --shards (or --once)")
        }
        guard let leaderElection else {
            throw ValidationError("--shards \(shards) needs --leader-election <namespace>/<name>: the shard Leases are <name>-shard-<i> in that namespace")
        }
        let name = try Bounded.namespacedName(leaderElection, "--leader-election").name
        // The name is also a label value on every Lease of the group (at most 63 characters).
        guard Names.isDNS1123Label(name), name.count <= 40 else {
            throw ValidationError("--leader-election name \(name) cannot name shard Leases: use at most 40 lower-case letters, digits and '-', e.g. sluice")
        }
    }

    /// The coordinator of this replica, wired into `loop`: in-cluster credentials, else $KUBECONFIG;
    /// the identity is $POD_NAME, else the host name.
    static func coordinator(_ leaderElection: String, shards: Int, duration: Duration, loop: ReconcileLoop,
                            log: @escaping @Sendable (String) -> Void) async throws -> ShardCoordinator {
        let lease = try Bounded.namespacedName(leaderElection, "--leader-election")
        let connection = try (try? KubernetesConnection.inCluster()) ?? KubeConfig.load(paths: KubeConfig.defaultPaths()).connection(context: nil)
        let holder = ProcessInfo.processInfo.environment["POD_NAME"] ?? ProcessInfo.processInfo.hostName
        let coordinator = ShardCoordinator(
            client: try KubernetesClient(connection: connection),
            configuration: .init(names: ShardLeaseNames(namespace: lease.namespace, group: lease.name), map: ShardMap(count: shards),
                                 holder: holder, duration: duration),
            log: log)
        await loop.share(coordinator)
        log("sharing the clusters in \(shards) shards as \(holder): Leases \(lease.namespace)/\(lease.name)-shard-0…\(shards - 1)")
        return coordinator
    }
}
