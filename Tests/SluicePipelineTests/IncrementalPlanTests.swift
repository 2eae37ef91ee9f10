import Foundation
import SluiceCore
import SluicePipeline
import SluiceSpec
import SluiceTestSupport
import Testing

@Suite("A commit re-plans only the clusters it changes")
struct IncrementalPlanTests {
    static func render(_ parallelismA: Int) throws -> DesiredState {
        let dir = try TwoSites.write(parallelism: ["a": parallelismA], prefix: "sluice-incremental")
        return try Renderer().render(try SpecLoader().load(from: DirectoryTree(path: dir.path), path: "", revision: "r"))
    }

    @Test("only the cluster whose desired objects changed")
    func changed() throws {
        #expect(Pipeline.changedClusters(try Self.render(1), try Self.render(2)) == ["a"])
        #expect(Pipeline.changedClusters(try Self.render(1), try Self.render(1)).isEmpty)
    }
}
