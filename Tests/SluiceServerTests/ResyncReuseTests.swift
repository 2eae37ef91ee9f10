import Foundation
import SluiceCore
import SluiceGit
import SluicePipeline
import SluiceServer
import SluiceSync
import SluiceTestSupport
import Testing

@Suite("A resync of an unchanged commit reuses what the last round loaded")
struct ResyncReuseTests {
    @Test("the same commit is loaded and rendered once; a new commit is loaded, and compared with the held baseline")
    func reuse() async throws {
        let fixture = try LoopRepositoryFixture(prefix: "sluice-resync", jobsLabel: "a")
        func job(_ name: String) throws {
            _ = try fixture.checkout.write("jobs/\(name).yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: \(name), labels: {app: a}}
                data: {k: v}
                """)
        }
        try job("one")
        let first = try fixture.commitAndPush("first")
        let loop = try fixture.loop(.init(revision: "main", interval: .seconds(3600), resyncEvery: 2))

        // Round 1 loads the commit; round 2 is the periodic resync of the same commit: nothing is loaded again.
        var round = await loop.round(reason: .start)
        #expect(round.outcome == .synced && round.revision == first, "\(round.message)")
        #expect(loop.loaded.revisions == [first] && loop.loaded.hits == 0)
        round = await loop.round(reason: .interval)
        #expect(round.outcome == .synced && round.revision == first, "a resync plans: \(round.message)")
        #expect(loop.loaded.hits == 1, "the resync took the loaded commit")
        #expect(loop.loaded.revisions == [first])

        // A new commit is loaded (a commit id names one tree), and its baseline (the last good
        // commit) comes from what is held rather than from a second load.
        try job("two")
        let second = try fixture.commitAndPush("second")
        round = await loop.round(reason: .webhook)
        #expect(round.outcome == .synced && round.revision == second, "\(round.message)")
        #expect(loop.loaded.revisions == [first, second])
        #expect(loop.loaded.hits == 2, "the baseline came from memory")
        let held = try #require(loop.loaded.lookup(second))
        #expect(held.specs.workloads.map(\.name).sorted() == ["one", "two"])
        #expect(loop.loaded.lookup(first)?.specs.workloads.map(\.name) == ["one"])
    }
}
