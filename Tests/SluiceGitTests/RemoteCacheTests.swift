import Foundation
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing

/// Cloning into a bare cache and fetching incrementally, against a real `git daemon`.
@Suite("Fetching remotes into a cache")
struct RemoteCacheTests {
    @Test("clone over git:// from a real git daemon, then fetch a pushed commit incrementally")
    func gitDaemon() throws {
        let daemon = try GitDaemon()
        let bare = try daemon.createBareRepository("specs.git")
        let fixture = try GitFixtureRepo()
        let first = try fixture.commit("first", files: ["jobs/a.yaml": "a: 1\n"])
        try fixture.tag("v1", annotated: true)
        try fixture.push(to: bare.path)

        let cacheDir = try TemporaryDirectory(prefix: "sluice-cache")
        let url = daemon.url("specs.git")
        var folders: [String] = []
        do {  // the first process's handle lives only in this scope
            let live = try GitRepository.cache(url: url, in: cacheDir.url)
            #expect(try live.resolve("HEAD").hex == first)
            #expect(try live.resolve("main").hex == first)
            #expect(try live.resolve("v1").hex == first)
            #expect(live.remoteURL == url)
            folders = try FileManager.default.contentsOfDirectory(atPath: cacheDir.path)
            #expect(folders.count == 1)

            let second = try fixture.commit("second", files: ["jobs/a.yaml": "a: 2\n", "jobs/b.yaml": "b\n"])
            try fixture.push(to: bare.path)
            #expect(try live.resolve("main").hex == first, "nothing changes before a fetch")
            try live.fetch()
            #expect(try live.resolve("HEAD").hex == second)
            #expect(try String(decoding: live.read("jobs/a.yaml", at: live.resolve("HEAD")), as: UTF8.self) == "a: 2\n")
            #expect(try String(decoding: live.read("jobs/a.yaml", at: GitCommitID(hex: first)), as: UTF8.self) == "a: 1\n")
            #expect(try live.files(at: GitCommitID(hex: first)) == ["jobs/a.yaml"])
            #expect(try live.files(at: GitCommitID(hex: second)) == ["jobs/a.yaml", "jobs/b.yaml"])

            // While a handle is alive, asking for the same cache again shares it (one handle per cache).
            #expect(try GitRepository.cache(url: url, in: cacheDir.url) === live)
        }

        // After a restart (no live handle), the folder on disk is reused and only new objects come.
        let third = try fixture.commit("third", files: ["jobs/c.yaml": "c\n"])
        try fixture.push(to: bare.path)
        let restarted = try GitRepository.cache(url: url, in: cacheDir.url)
        #expect(try restarted.resolve("HEAD").hex == third)
        #expect(try restarted.resolve("HEAD~2").hex == first)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cacheDir.path) == folders)
    }

    @Test("file:// URLs and plain paths clone; branches deleted upstream are pruned")
    func fileURLAndPrune() throws {
        let fixture = try GitFixtureRepo()
        let head = try fixture.commit("first", files: ["a.yaml": "a"])
        try git(["branch", "feature"], in: fixture.url)
        let cacheDir = try TemporaryDirectory(prefix: "sluice-cache")
        let cache = try GitRepository.cache(url: "file://\(fixture.path)", in: cacheDir.url)
        #expect(try cache.resolve("feature").hex == head)
        try git(["branch", "-D", "feature"], in: fixture.url)
        try cache.fetch()
        let pruned = #expect(throws: GitError.self) { try cache.resolve("feature") }
        #expect(pruned?.kind == .unknownRevision)

        let byPath = try GitRepository.cache(url: fixture.path, in: cacheDir.url)
        #expect(try byPath.resolve("main").hex == head)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cacheDir.path).count == 2)
    }

    @Test("an unreachable remote names the URL without credentials and says what to check")
    func unreachable() throws {
        let refusing = try RefusingPort()
        defer { refusing.close() }
        let port = refusing.port
        let cacheDir = try TemporaryDirectory(prefix: "sluice-cache")
        let error = #expect(throws: GitError.self) {
            try GitRepository.cache(url: "git://127.0.0.1:\(port)/specs.git", in: cacheDir.url)
        }
        #expect(error?.kind == .unreachable)
        #expect(error?.message.contains("git://127.0.0.1:\(port)/specs.git") == true)
        #expect(error?.hint?.contains("network") == true)

        let secretURL = "http://user:hunter2@127.0.0.1:\(port)/specs.git"
        let http = #expect(throws: GitError.self) { try GitRepository.cache(url: secretURL, in: cacheDir.url) }
        #expect(http?.kind == .unreachable)
        #expect(http?.description.contains("hunter2") == false)
        #expect(http?.description.contains("http://127.0.0.1:\(port)/specs.git") == true)
        // The cache folder is named from the URL without credentials too.
        let folders = try FileManager.default.contentsOfDirectory(atPath: cacheDir.path)
        #expect(!folders.isEmpty && folders.allSatisfy { !$0.contains("hunter2") && !$0.contains("user") })

        let ssh = #expect(throws: GitError.self) {
            try GitRepository.cache(url: "ssh://git@127.0.0.1:\(port)/specs.git", in: cacheDir.url)
        }
        #expect(ssh?.kind == .unreachable)
        #expect(ssh?.message.contains("ssh://127.0.0.1:\(port)/specs.git") == true)
    }

    /// Set in the child process that measures the fetch loop.
    static let leakChild = "SLUICE_TEST_FETCH_LEAK_CHILD"

    /// Resident memory is a whole-process figure, and tests running in parallel in this process
    /// grow it too: the loop runs in a process of its own, this test binary filtered to this test.
    @Test("200 fetches do not grow memory (every libgit2 object is freed)")
    func noLeakOverFetches() throws {
        if ProcessInfo.processInfo.environment[Self.leakChild] != nil { return try measureFetchLoop() }
        let binary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var environment = ProcessInfo.processInfo.environment
        environment[Self.leakChild] = "1"
        let child = try run(binary, ["--testing-library", "swift-testing", "--filter", "noLeakOverFetches"],
                            env: environment, timeout: 300)
        #expect(child.status == 0, "the fetch loop in its own process failed:\n\(child.stdout)\n\(child.stderr)")
        // Swift Testing reports on standard error.
        #expect((child.stdout + child.stderr).contains("Test run with 1 test"), "the child ran no test:\n\(child.stdout)\n\(child.stderr)")
    }

    func measureFetchLoop() throws {
        let daemon = try GitDaemon()
        let bare = try daemon.createBareRepository("leak.git")
        let fixture = try GitFixtureRepo()
        try fixture.commit("first", files: ["a.yaml": "a: 1\n", "b/c.yaml": "c: 1\n"])
        try fixture.push(to: bare.path)
        let cacheDir = try TemporaryDirectory(prefix: "sluice-cache")
        let cache = try GitRepository.cache(url: daemon.url("leak.git"), in: cacheDir.url)
        func fetchAndRead(_ rounds: Int) throws {
            for _ in 0..<rounds {
                try cache.fetch()
                let head = try cache.resolve("HEAD")
                let tree = try cache.tree(at: head)
                _ = try tree.read("a.yaml")
                _ = try cache.files(at: head)
            }
        }
        try fetchAndRead(20)  // warm up allocator pools and libgit2 caches
        // Two windows of 100 fetches: a leak grows both, while memory that tests running in
        // parallel in this process allocate shows up in one at most; so judge the smaller.
        let start = residentMemoryKiB()
        try fetchAndRead(100)
        let middle = residentMemoryKiB()
        try fetchAndRead(100)
        let end = residentMemoryKiB()
        let growth = min(middle - start, end - middle)
        #expect(start > 0)
        // libgit2 1.5.1's leak in git_remote_create_anonymous grew about 15 MiB per window.
        #expect(growth < 4 * 1024, "resident memory grew by \(middle - start) and \(end - middle) KiB per 100 fetches")
    }

    /// VmRSS of this process in KiB (Linux).
    func residentMemoryKiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
}
