import Foundation
import SluiceKubernetes
import SluiceServer
import SluiceTestSupport
import SluiceYAML
import Testing

/// The shape of the Leases replicas of `sluice serve --shards` write, against the fake API server
/// and, when `SLUICE_TEST_KUBECONFIG` names one, a real API server (which validates a Lease:
/// MicroTime with microseconds, a positive duration, label values of at most 63 characters).
@Suite("Shard Leases: their shape on an API server")
struct ShardLeaseContractTests {
    @Test("shard and replica Leases: labels, annotations, holder, MicroTime stamps; handed over and released", arguments: ContractTarget.available)
    func leaseShape(_ target: ContractTarget) async throws {
        try await withCluster(target) { cluster in
            let names = ShardLeaseNames(namespace: cluster.namespace, group: "sluice")
            func replica(_ holder: String) -> ShardCoordinator {
                ShardCoordinator(client: cluster.client,
                                 configuration: .init(names: names, map: ShardMap(count: 2), holder: holder, duration: .seconds(30)))
            }
            let first = replica("sluice-0")
            await first.step()
            await first.step()
            #expect(await first.ownedShards() == [0, 1], "\(String(describing: first.table.error))")

            let leases = try await cluster.client.list(apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace: cluster.namespace,
                                                       labelSelector: names.selector)
            #expect(leases.count == 3, "two shards and one replica")
            let microTime = try Regex(#"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"#)
            for index in 0..<2 {
                let lease = try #require(leases.first { $0[path: "metadata", "name"]?.stringValue == names.shard(index) })
                #expect(lease["apiVersion"]?.stringValue == "coordination.k8s.io/v1" && lease["kind"]?.stringValue == "Lease")
                #expect(lease[path: "metadata", "labels", ShardLeaseNames.groupLabel]?.stringValue == "sluice")
                #expect(lease[path: "metadata", "labels", ShardLeaseNames.roleLabel]?.stringValue == "shard")
                #expect(lease[path: "metadata", "annotations", ShardLeaseNames.shardAnnotation]?.stringValue == String(index))
                #expect(lease[path: "metadata", "annotations", ShardLeaseNames.countAnnotation]?.stringValue == "2")
                #expect(lease[path: "spec", "holderIdentity"]?.stringValue == "sluice-0")
                #expect(lease[path: "spec", "leaseDurationSeconds"]?.intValue == 30)
                for stamp in ["acquireTime", "renewTime"] {
                    let text = lease[path: "spec", stamp]?.stringValue ?? ""
                    #expect(text.wholeMatch(of: microTime) != nil, "\(stamp) \(text)")
                }
            }
            let member = try #require(leases.first { $0[path: "metadata", "name"]?.stringValue == names.replica("sluice-0") })
            #expect(member[path: "metadata", "labels", ShardLeaseNames.roleLabel]?.stringValue == "replica")
            #expect(member[path: "spec", "holderIdentity"]?.stringValue == "sluice-0")

            // A second replica joins: the first hands one shard over, the second takes it.
            let second = replica("sluice-1")
            await second.step()
            await first.step()
            await second.step()
            let held = (await first.ownedShards(), await second.ownedShards())
            #expect(held.0.count == 1 && held.1.count == 1 && held.0.isDisjoint(with: held.1), "\(held)")
            for shard in held.1 {
                #expect(try await cluster.client.lease(namespace: cluster.namespace, name: names.shard(shard))?.holderIdentity == "sluice-1")
            }

            // Stopping releases: the holder is cleared, so the next replica need not wait out the duration.
            await first.releaseAll()
            for shard in held.0 {
                let record = try await cluster.client.lease(namespace: cluster.namespace, name: names.shard(shard))
                #expect(record?.holderIdentity == "" && record?.isFree(at: Date().addingTimeInterval(2)) == true)
            }
            await second.releaseAll()
        }
    }
}
