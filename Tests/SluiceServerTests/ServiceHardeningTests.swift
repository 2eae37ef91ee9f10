import Crypto
import Foundation
import SluiceCore
import SluiceGit
import SluicePipeline
import SluiceServer
import SluiceTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `sluice serve`'s HTTP side against hostile clients: replays, bogus rollbacks, unknown routes,
/// and connections that never finish a request. A real server on 127.0.0.1, raw sockets as clients.
@Suite("The service's inputs are bounded", .serialized)
struct ServiceHardeningTests {
    static let secret = "It's a Secret to Everybody"
    static let token = "operator-token"

    /// A served loop over a one-commit repository; `rounds` counts the rounds it ran.
    final class Harness: @unchecked Sendable {
        let fixture: GitFixtureRepo
        let head: String
        let loop: ReconcileLoop
        let metrics = SluiceMetrics()
        let port: Int
        let rounds = Counter()
        private var tasks: [Task<Void, Never>] = []

        init(limits: ConnectionLimits = ConnectionLimits()) async throws {
            fixture = try GitFixtureRepo()
            head = try fixture.commit("first", files: ["environments/e.yaml": """
                apiVersion: sluice.dev/v1alpha1
                kind: Environment
                metadata: {name: e}
                spec: {namespace: apps, clusters: {matchLabels: {site: none}}, jobs: {matchLabels: {app: none}}}
                """])
            let state = try TemporaryDirectory(prefix: "sluice-serve-state")
            loop = ReconcileLoop(repository: try GitRepository.open(path: fixture.path), pipeline: Pipeline(stateDirectory: state.url),
                                 configuration: .init(revision: "HEAD", interval: .seconds(3600))) { _ in }
            let rounds = self.rounds
            await loop.observe { _ in rounds.increment() }
            port = Int(try freePort())
            let server = ServiceServer(loop: loop, journal: nil, metrics: metrics, webhooks: WebhookVerifier(secret: Self.secretValue),
                                       tokens: .init(read: nil, operate: ServiceHardeningTests.token), limits: limits)
            let loop = self.loop, port = self.port
            tasks.append(Task { try? await server.run(host: "127.0.0.1", port: port) })
            tasks.append(Task { await loop.run() })
            #expect(await eventually(timeout: .seconds(60)) { rounds.value >= 1 && (try? Self.blockingRequest(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))?.contains("200") == true })
        }

        static var secretValue: String { ServiceHardeningTests.secret }

        func stop() async {
            await loop.stop()
            tasks.forEach { $0.cancel() }
        }

        /// Sends `text` on a fresh connection and reads the answer until the server closes it.
        /// On a thread of its own: a blocking socket read on the cooperative pool (two threads on
        /// two cores) would starve the server under test, whose handlers run on that pool.
        static func request(_ port: Int, _ text: String) async throws -> String {
            try await onDedicatedThread("sluice-test-http") { try blockingRequest(port, text) }
        }

        static func blockingRequest(_ port: Int, _ text: String) throws -> String {
            let fd = try connect(port)
            defer { close(fd) }
            _ = text.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            var answer = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            var timeout = timeval(tv_sec: 60, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            while answer.count < 1 << 20 {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { break }
                answer += buffer[0..<n]
            }
            return String(decoding: answer, as: UTF8.self)
        }

        func post(_ path: String, headers: [String: String], body: String) async throws -> String {
            var text = "POST \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            for (name, value) in headers { text += "\(name): \(value)\r\n" }
            return try await Self.request(port, text + "\r\n" + body)
        }
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func increment() { lock.withLock { count += 1 } }
        var value: Int { lock.withLock { count } }
    }

    static func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            close(fd)
            throw SubprocessError(description: "cannot connect to 127.0.0.1:\(port)")
        }
        return fd
    }

    static func signature(_ body: String) -> String {
        "sha256=" + HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: SymmetricKey(data: Array(secret.utf8)))
            .map { String(format: "%02x", $0) }.joined()
    }

    @Test("a Git server that never answers: the round ends at the stall timeout, logs why, keeps the last good revision; stop() cancels a hung fetch")
    func silentGit() async throws {
        let server = try SilentServer()
        defer { server.stop() }
        let cache = try TemporaryDirectory(prefix: "sluice-silent-cache")
        let url = "git://127.0.0.1:\(server.port)/specs.git"
        let repository = try GitRepository.cache(url: url, in: cache.url,
                                                 timeouts: GitTimeouts(connect: .seconds(2), stall: .seconds(1), fetch: .seconds(600)), fetch: false)
        // The cache already holds a good commit (as after earlier fetches).
        let fixture = try GitFixtureRepo()
        let head = try fixture.commit("good", files: ["environments/e.yaml": Self.environmentYAML])
        try git(["push", "-q", repository.path, "HEAD:refs/heads/main"], in: fixture.url)
        try git(["symbolic-ref", "HEAD", "refs/heads/main"], in: URL(fileURLWithPath: repository.path))
        let state = try TemporaryDirectory(prefix: "sluice-silent-state")
        let lines = Lines()
        let loop = ReconcileLoop(repository: repository, pipeline: Pipeline(stateDirectory: state.url),
                                 configuration: .init(revision: "main", interval: .seconds(3600))) { lines.append($0) }
        let started = ContinuousClock.now
        let round = await loop.round(reason: .start)
        #expect(ContinuousClock.now - started < .seconds(60), "bounded; a loaded machine schedules slowly")
        #expect(!round.gitReachable)
        #expect(round.fetchError?.contains("no progress for 1s") == true, "\(String(describing: round.fetchError))")
        #expect(await loop.lastGood == head)
        #expect(lines.all.contains { $0.contains("Git is unreachable") && $0.contains("no progress") }, "\(lines.all)")

        // With a long stall timeout the fetch would wait 10 minutes; stop() ends it now.
        let patient = try GitRepository.cache(url: url, in: cache.url, timeouts: GitTimeouts(stall: .seconds(600), fetch: .seconds(600)), fetch: false)
        let slowLoop = ReconcileLoop(repository: patient, pipeline: Pipeline(stateDirectory: state.url),
                                     configuration: .init(revision: "main", interval: .seconds(3600))) { _ in }
        let accepted = server.accepted
        let running = Task { await slowLoop.run() }
        #expect(await eventually(timeout: .seconds(10)) { server.accepted > accepted })
        let stopping = ContinuousClock.now
        await slowLoop.stop()
        await running.value
        #expect(ContinuousClock.now - stopping < .seconds(60), "the stall limit is 600 s")
    }

    static let environmentYAML = """
        apiVersion: sluice.dev/v1alpha1
        kind: Environment
        metadata: {name: e}
        spec: {namespace: apps, clusters: {matchLabels: {site: none}}, jobs: {matchLabels: {app: none}}}
        """

    @Test("a replayed delivery gets 200 duplicate and never starts a second round")
    func replay() async throws {
        let harness = try await Harness()
        defer { Task { await harness.stop() } }
        let body = #"{"ref":"refs/heads/main"}"#
        let headers = ["X-Hub-Signature-256": Self.signature(body), "X-GitHub-Event": "push", "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"]
        let before = harness.rounds.value
        let first = try await harness.post("/webhooks/github", headers: headers, body: body)
        #expect(first.hasPrefix("HTTP/1.1 202"), "\(first)")
        #expect(await eventually(timeout: .seconds(20)) { harness.rounds.value == before + 1 })
        for _ in 0..<3 {
            let again = try await harness.post("/webhooks/github", headers: headers, body: body)
            #expect(again.hasPrefix("HTTP/1.1 200"), "\(again)")
            #expect(again.contains("duplicate"))
        }
        // Gitea and GitLab ids are remembered the same way.
        let giteaHeaders = ["X-Gitea-Signature": String(Self.signature(body).dropFirst(7)), "X-Gitea-Delivery": "42"]
        #expect(try await harness.post("/webhooks/gitea", headers: giteaHeaders, body: body).hasPrefix("HTTP/1.1 202"))
        #expect(try await harness.post("/webhooks/gitea", headers: giteaHeaders, body: body).contains("duplicate"))
        let gitlabHeaders = ["X-Gitlab-Token": Self.secret, "X-Gitlab-Event": "Push Hook", "Idempotency-Key": "f9a3-1"]
        #expect(try await harness.post("/webhooks/gitlab", headers: gitlabHeaders, body: body).hasPrefix("HTTP/1.1 202"))
        #expect(try await harness.post("/webhooks/gitlab", headers: gitlabHeaders, body: body).contains("duplicate"))
        try await Task.sleep(for: .seconds(2))
        #expect(harness.rounds.value <= before + 3, "only the first delivery of each id triggers a round")
        #expect(harness.metrics.exposition().contains(#"result="duplicate""#))
    }

    @Test("the delivery log forgets ids after its window and keeps at most its capacity")
    func deliveryLogBounds() {
        let log = DeliveryLog(capacity: 3, window: .seconds(60))
        let start = ContinuousClock.now
        #expect(log.firstSighting(of: "a", from: "github", at: start))
        #expect(!log.firstSighting(of: "a", from: "github", at: start + .seconds(59)))
        #expect(log.firstSighting(of: "a", from: "gitea", at: start + .seconds(1)), "ids are per forge")
        #expect(log.firstSighting(of: "a", from: "github", at: start + .seconds(61)), "forgotten after the window")
        for id in ["b", "c", "d", "e"] { #expect(log.firstSighting(of: id, from: "github", at: start + .seconds(62))) }
        #expect(log.count == 3)
    }

    @Test("rollback refuses revisions that are not commits of the spec repository and keeps the state", arguments: [
        "--upload-pack=touch /tmp/pwned", "does-not-exist", "0123456789abcdef0123456789abcdef01234567", "main~99", "a b", "",
    ])
    func rollbackRefused(revision: String) async throws {
        let harness = try await Harness()
        defer { Task { await harness.stop() } }
        let answer = try await harness.post("/api/v1/rollback", headers: ["Authorization": "Bearer \(Self.token)"],
                                      body: #"{"revision":"\#(revision)"}"#)
        #expect(answer.hasPrefix("HTTP/1.1 422"), "\(answer)")
        #expect(answer.contains("hint"))
        #expect(await harness.loop.pinned == nil)
        #expect(await harness.loop.lastGood == harness.head)
    }

    @Test("rollback to an abbreviated commit id pins the full id")
    func rollbackAccepted() async throws {
        let harness = try await Harness()
        defer { Task { await harness.stop() } }
        let answer = try await harness.post("/api/v1/rollback", headers: ["Authorization": "Bearer \(Self.token)"], body: #"{"revision":"\#(String(harness.head.prefix(10)))"}"#)
        #expect(answer.hasPrefix("HTTP/1.1 202"), "\(answer)")
        #expect(await harness.loop.pinned == harness.head)
    }

    @Test("unknown webhook sources and routes never reach the metrics")
    func closedLabels() async throws {
        let harness = try await Harness()
        defer { Task { await harness.stop() } }
        let before = harness.metrics.exposition()
        for i in 0..<50 {
            let name = String(repeating: "x", count: 2000) + "\(i)"
            #expect(try await harness.post("/webhooks/\(name)", headers: [:], body: "{}").hasPrefix("HTTP/1.1 404"))
            _ = try await Harness.request(harness.port, "GET /\(name) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        }
        let after = harness.metrics.exposition()
        #expect(!after.contains("xxxx"))
        #expect(after.count == before.count, "the exposition did not grow")
        // A known forge with a bad signature is counted under its own name.
        _ = try await harness.post("/webhooks/github", headers: ["X-Hub-Signature-256": "sha256=00"], body: "{}")
        #expect(harness.metrics.exposition().contains(#"source="github""#))
    }

    @Test("connections beyond the cap are closed, and a request head that never completes times out")
    func slowLoris() async throws {
        let harness = try await Harness(limits: ConnectionLimits(maxConnections: 8, headerTimeout: .seconds(2)))
        defer { Task { await harness.stop() } }
        var held: [Int32] = []
        defer { held.forEach { close($0) } }
        // 20 connections that each send half a request line and stop (bounded: 20 sockets).
        for _ in 0..<20 {
            let fd = try Self.connect(harness.port)
            _ = "GET /healthz HT".withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            held.append(fd)
        }
        func isClosed(_ fd: Int32) -> Bool {
            var byte: UInt8 = 0
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            return recv(fd, &byte, 1, 0) == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
        }
        // At most the cap stays open at first; all are closed after the header timeout.
        let sockets = held
        #expect(await eventually(timeout: .seconds(2)) { sockets.filter { !isClosed($0) }.count <= 8 })
        #expect(await eventually(timeout: .seconds(10)) { sockets.allSatisfy(isClosed) })
        // The server still answers afterwards.
        let answer = try await Harness.request(harness.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
    }
}
