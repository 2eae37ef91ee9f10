import Foundation
import SluiceCore
import SluiceGit
import SluicePipeline
import SluiceServer
import SluiceSync
import SluiceTestSupport
import Testing

@Suite("The serve loop keeps the last good revision")
struct ReconcileLoopTests {
    @Test("Git unreachable or a broken commit: the last good revision stays, and the round says why")
    func lastGood() async throws {
        let fixture = try LoopRepositoryFixture(prefix: "sluice-loop", jobsLabel: "none")
        let good = try fixture.commitAndPush("good")
        let lines = Lines()
        let loop = try fixture.loop(.init(revision: "main", interval: .seconds(3600))) { lines.append($0) }

        // A follower (another replica holds the lease) plans for its status API but syncs nothing.
        await loop.gate { false }
        var round = await loop.round(reason: .start)
        #expect(round.outcome == .planned && round.message.contains("follower") && round.plan != nil && round.synced == nil)
        #expect(await loop.lastGood == nil)
        await loop.gate { true }

        round = await loop.round(reason: .start)
        #expect(round.revision == good && round.gitReachable && round.outcome == .synced)
        #expect(await loop.lastGood == good)

        // A commit whose specs do not load is never applied.
        _ = try fixture.checkout.write("environments/broken.yaml", "apiVersion: sluice.dev/v1alpha1\nkind: Environment\nmetadata: {name: broken}\nspec: {wave: many}\n")
        let broken = try fixture.commitAndPush("broken")
        round = await loop.round(reason: .webhook)
        #expect(round.revision == good, "kept \(good.prefix(8)), not \(broken.prefix(8))")
        #expect(round.outcome == .failed && round.message.contains("cannot be applied"))
        #expect(await loop.lastGood == good)

        // Git goes away: the round says so and keeps the last good revision.
        fixture.daemon.stop()
        round = await loop.round(reason: .interval)
        #expect(!round.gitReachable)
        #expect(round.outcome == .failed, "the broken head still does not load from the cache: \(round.message)")
        #expect(round.fetchError != nil)
        #expect(await loop.lastGood == good)
        #expect(lines.all.contains { $0.contains("Git is unreachable") && $0.contains(String(good.prefix(12))) }, "\(lines.all)")
    }
}

/// Log lines collected from the loop.
final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
