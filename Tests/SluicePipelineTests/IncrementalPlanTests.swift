import Foundation
import SluiceCore
import SluicePipeline
import SluiceSpec
import SluiceTestSupport
import Testing

@Suite("A commit re-plans only the clusters it changes")
struct IncrementalPlanTests {
    static func render(_ parallelismA: Int) throws -> DesiredState {
        let dir = try TemporaryDirectory(prefix: "sluice-incremental")
        for name in ["a", "b"] {
            _ = try dir.write("clusters/\(name).yaml", """
                apiVersion: sluice.dev/v1alpha1
                kind: Cluster
                metadata: {name: \(name), labels: {site: \(name)}}
                spec: {tier: private, driver: flink, flink: {url: "http://127.0.0.1:1"}}
                """)
            _ = try dir.write("environments/\(name).yaml", """
                apiVersion: sluice.dev/v1alpha1
                kind: Environment
                metadata: {name: env-\(name)}
                spec: {namespace: apps, clusters: {matchLabels: {site: \(name)}}, jobs: {matchLabels: {site: \(name)}}}
                """)
            _ = try dir.write("jobs/\(name).yaml", """
                apiVersion: flink.apache.org/v1beta1
                kind: FlinkDeployment
                metadata: {name: job-\(name), labels: {site: \(name)}}
                spec: {job: {jarURI: "file:///j.jar", parallelism: \(name == "a" ? parallelismA : 1), upgradeMode: savepoint}}
                """)
        }
        return try Renderer().render(try SpecLoader().load(from: DirectoryTree(path: dir.path), path: "", revision: "r"))
    }

    @Test("only the cluster whose desired objects changed")
    func changed() throws {
        #expect(Pipeline.changedClusters(try Self.render(1), try Self.render(2)) == ["a"])
        #expect(Pipeline.changedClusters(try Self.render(1), try Self.render(1)).isEmpty)
    }
}
