import Foundation
import SluiceCore
import SluicePipeline
import SluiceSpec
import SluiceSync
import SluiceTestSupport
import Testing

/// What a read of a cluster's live state keeps per object stays small at scale (issue 18 §5):
/// objects of one kind carry the same field paths in their managedFields, and the driver keeps
/// one copy of each path per read instead of one per object.
@Suite("Kubernetes live state in memory")
struct KubernetesLiveStateMemoryTests {
    @Test("two objects of one shape share the storage of their managedFields paths")
    func managedFieldsPathsAreShared() async throws {
        let world = try KubernetesDriverTests.World()
        try world.deployment(present: false)
        _ = try world.work.write("specs/jobs/other.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: other, labels: {app.kubernetes.io/part-of: shop}}
            data: {mode: slow}
            """)
        let (_, report) = try await world.sync()
        #expect(report.succeeded, "\(report.clusters.map(\.message))")

        let options = SyncOptions(healthTimeout: .seconds(20), healthPollInterval: .milliseconds(100))
        let planned = try await Pipeline(stateDirectory: world.state).plan(
            DirectoryTree(path: world.work.url.appendingPathComponent("specs").path), revision: "test", options: options)
        await planned.syncer.close()
        let live = planned.plan.clusters.flatMap(\.actions).compactMap(\.live).filter { $0.identity.kind == "ConfigMap" }
        try #require(live.count == 2, "both ConfigMaps were read: \(live.map(\.identity))")
        let first = try #require(live[0].managedFields["sluice"]), second = try #require(live[1].managedFields["sluice"])
        #expect(first == second, "the two ConfigMaps have the same fields")
        #expect(first.contains(["data", "mode"]), "\(first)")
        for (a, b) in zip(first, second) {
            let same = a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in pa.baseAddress == pb.baseAddress } }
            #expect(same, "path \(a) is stored once, not once per object")
        }
    }
}
