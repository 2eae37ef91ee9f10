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
        let daemon = try GitDaemon()
        let bare = try daemon.createBareRepository("specs.git")
        let checkout = try TemporaryDirectory(prefix: "sluice-loop-checkout")
        _ = try checkout.write("environments/e.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Environment
            metadata: {name: e}
            spec: {namespace: apps, clusters: {matchLabels: {site: none}}, jobs: {matchLabels: {app: none}}}
            """)
        func commitAndPush(_ message: String) throws -> String {
            _ = try git(["add", "-A"], in: checkout.url)
            _ = try git(["-c", "user.name=t", "-c", "user.email=t@l", "commit", "-qm", message], in: checkout.url)
            _ = try git(["push", "-q", bare.path, "HEAD:main"], in: checkout.url)
            return try git(["rev-parse", "HEAD"], in: checkout.url).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        _ = try git(["init", "-q", "-b", "main"], in: checkout.url)
        let good = try commitAndPush("good")

        let cache = try TemporaryDirectory(prefix: "sluice-loop-cache")
        let state = try TemporaryDirectory(prefix: "sluice-loop-state")
        let repository = try GitRepository.cache(url: daemon.url("specs.git"), in: cache.url)
        let lines = Lines()
        let loop = ReconcileLoop(repository: repository, pipeline: Pipeline(stateDirectory: state.url),
                                 configuration: .init(revision: "main", interval: .seconds(3600))) { lines.append($0) }

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
        _ = try checkout.write("environments/broken.yaml", "apiVersion: sluice.dev/v1alpha1\nkind: Environment\nmetadata: {name: broken}\nspec: {wave: many}\n")
        let broken = try commitAndPush("broken")
        round = await loop.round(reason: .webhook)
        #expect(round.revision == good, "kept \(good.prefix(8)), not \(broken.prefix(8))")
        #expect(round.outcome == .failed && round.message.contains("cannot be applied"))
        #expect(await loop.lastGood == good)

        // Git goes away: the round says so and keeps the last good revision.
        daemon.stop()
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
