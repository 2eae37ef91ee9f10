import Foundation
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing

/// A Git server that accepts the connection and never answers must not hold a fetch forever
/// (libgit2 1.5 has no timeouts of its own; see TimedSocketStream).
@Suite("Fetch timeouts")
struct FetchTimeoutTests {
    static let short = GitTimeouts(connect: .seconds(2), stall: .seconds(1), fetch: .seconds(20))

    @Test("git://, http:// and https:// servers that accept and never answer end in a stall timeout", arguments: ["git", "http", "https"])
    func silentServer(scheme: String) throws {
        let server = try SilentServer()
        defer { server.stop() }
        let cacheDir = try TemporaryDirectory(prefix: "sluice-cache")
        let started = ContinuousClock.now
        let error = #expect(throws: GitError.self) {
            try GitRepository.cache(url: "\(scheme)://127.0.0.1:\(server.port)/specs.git", in: cacheDir.url, timeouts: Self.short)
        }
        let elapsed = ContinuousClock.now - started
        #expect(error?.kind == .timeout)
        #expect(error?.message.contains("no progress for 1s") == true, "\(String(describing: error))")
        #expect(error?.message.contains("127.0.0.1:\(server.port)") == true)
        #expect(error?.hint?.contains("--git-timeout") == true)
        #expect(server.accepted == 1, "a timeout is not retried")
        #expect(elapsed < .seconds(60), "bounded; a loaded machine schedules slowly")
    }

    @Test("a server that trickles one byte at a time is cut off by the whole-fetch deadline")
    func trickle() throws {
        let server = try SilentServer(trickle: .milliseconds(200), prefix: "HTTP/1.1 200 OK\r\nX-Slow: ")
        defer { server.stop() }
        let cacheDir = try TemporaryDirectory(prefix: "sluice-cache")
        let started = ContinuousClock.now
        let error = #expect(throws: GitError.self) {
            try GitRepository.cache(url: "http://127.0.0.1:\(server.port)/specs.git", in: cacheDir.url,
                                    timeouts: GitTimeouts(connect: .seconds(2), stall: .seconds(1), fetch: .seconds(2)))
        }
        let elapsed = ContinuousClock.now - started
        #expect(error?.kind == .timeout)
        #expect(error?.message.contains("longer than 2s") == true, "\(String(describing: error))")
        #expect(elapsed < .seconds(60), "bounded; a loaded machine schedules slowly")
    }

    @Test("cancelFetch ends a fetch that waits on a silent server at once")
    func cancel() async throws {
        let server = try SilentServer()
        defer { server.stop() }
        let cacheDir = try TemporaryDirectory(prefix: "sluice-cache")
        let url = "git://127.0.0.1:\(server.port)/specs.git"
        let repository = try GitRepository.cache(url: url, in: cacheDir.url, timeouts: GitTimeouts(stall: .seconds(600), fetch: .seconds(600)),
                                                 fetch: false)
        let fetching = Task { try await onDedicatedThread("test-fetch") { try repository.fetch() } }
        #expect(await eventually(timeout: .seconds(60)) { server.accepted == 1 })
        let cancelled = ContinuousClock.now
        repository.cancelFetch()
        let result = await fetching.result
        #expect(throws: GitError.self) { try result.get() }
        // The stall limit is 600 s: ending well before it is the cancel's doing.
        #expect(ContinuousClock.now - cancelled < .seconds(60))
        // A fetch that starts after the cancel ends at once too (a stop that races a round's fetch).
        #expect(throws: GitError.self) { try repository.fetch() }
    }

    @Test("a real server still works through the timed stream, and the next fetch after a timeout succeeds")
    func realServer() throws {
        let daemon = try GitDaemon()
        let bare = try daemon.createBareRepository("specs.git")
        let fixture = try GitFixtureRepo()
        let head = try fixture.commit("first", files: ["a.yaml": "a: 1\n"])
        try fixture.push(to: bare.path)
        let cacheDir = try TemporaryDirectory(prefix: "sluice-cache")
        let repository = try GitRepository.cache(url: daemon.url("specs.git"), in: cacheDir.url, timeouts: Self.short)
        #expect(try repository.resolve("HEAD").hex == head)
    }
}
