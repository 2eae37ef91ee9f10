import Foundation
import SluiceFlink
import SluiceSpec
import SluiceTestSupport
import Testing

@Suite("The applied store")
struct AppliedStoreTests {
    static let identity = ObjectIdentity(group: "flink.apache.org", kind: "FlinkDeployment", namespace: "shop", name: "orders")

    @Test("an entry keeps the revision it was applied at across a reopen")
    func revisionKept() throws {
        let directory = try TemporaryDirectory(prefix: "sluice-applied")
        let store = try AppliedStore(directory: directory.url, cluster: "edge")
        try store.set(Self.identity, AppliedStore.Entry(identity: Self.identity, object: "{}", specHash: "h1", jobID: "j1",
                                                        savepointPath: nil, appliedAt: Date(), revision: "r7"))
        let reopened = try AppliedStore(directory: directory.url, cluster: "edge")
        #expect(reopened[Self.identity]?.revision == "r7")
        #expect(reopened[Self.identity]?.jobID == "j1")
    }

    @Test("a file written before entries had a revision still opens, with no revision")
    func olderFile() throws {
        let directory = try TemporaryDirectory(prefix: "sluice-applied")
        let older = """
            [{"appliedAt": "2026-01-02T03:04:05Z", "identity": {"group": "flink.apache.org", "kind": "FlinkDeployment", "name": "orders", "namespace": "shop"},
              "jobID": "j1", "object": "{}", "specHash": "h1"}]
            """
        try Data(older.utf8).write(to: directory.url.appendingPathComponent("edge.json"))
        let store = try AppliedStore(directory: directory.url, cluster: "edge")
        let entry = try #require(store[Self.identity])
        #expect(entry.revision == nil)
        #expect(entry.specHash == "h1" && entry.jobID == "j1")
    }
}
