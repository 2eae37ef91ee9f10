import Foundation
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing

/// Smart HTTP with a required token: `git http-backend` behind Python's CGI server, on 127.0.0.1.
@Suite("HTTPS-style token credentials")
struct HTTPCredentialsTests {
    static let user = "x-access-token"

    /// A served repository with one commit, and a server that wants `token`.
    func servedRepository(token: String) throws -> (GitHTTPServer, String, String) {
        let server = try GitHTTPServer(username: Self.user, password: token)
        let bare = try server.createBareRepository("specs.git")
        let fixture = try GitFixtureRepo()
        let head = try fixture.commit("first", files: ["jobs/a.yaml": "a: 1\n"])
        try fixture.push(to: bare.path)
        return (server, server.url("specs.git"), head)
    }

    @Test("a token from an environment variable or a file authenticates")
    func tokenWorks() throws {
        let token = "tok-\(UUID().uuidString)"
        let (server, url, head) = try servedRepository(token: token)
        let cacheDir = try TemporaryDirectory(prefix: "sluice-cache")

        let secrets = try TemporaryDirectory(prefix: "sluice-secret")
        let tokenFile = try secrets.write("token", token + "\n")
        let cache = try GitRepository.cache(url: url, in: cacheDir.url,
                                            credentials: GitCredentials(token: .file(tokenFile.path)))
        #expect(try cache.resolve("main").hex == head)

        let variable = "SLUICE_TEST_TOKEN_\(UUID().uuidString.prefix(8))"
        setenv(variable, token, 1)
        defer { unsetenv(variable) }
        let fresh = try TemporaryDirectory(prefix: "sluice-cache")
        let viaEnv = try GitRepository.cache(url: url, in: fresh.url, credentials: GitCredentials(token: .environment(variable)))
        #expect(try viaEnv.resolve("HEAD").hex == head)
        _ = server
    }

    @Test("a wrong or missing token fails with a clear error that never shows the token")
    func badToken() throws {
        let (server, url, _) = try servedRepository(token: "right-token-value")
        let cacheDir = try TemporaryDirectory(prefix: "sluice-cache")
        let variable = "SLUICE_TEST_BAD_TOKEN_\(UUID().uuidString.prefix(8))"
        setenv(variable, "wrong-token-value", 1)
        defer { unsetenv(variable) }

        let wrong = #expect(throws: GitError.self) {
            try GitRepository.cache(url: url, in: cacheDir.url, credentials: GitCredentials(token: .environment(variable)))
        }
        #expect(wrong?.kind == .authentication)
        #expect(wrong?.message.hasPrefix("authentication failed for \(url)") == true)
        #expect(wrong?.hint?.contains(variable) == true)
        #expect(wrong?.description.contains("wrong-token-value") == false)
        #expect(wrong?.description.contains("right-token-value") == false)

        let none = #expect(throws: GitError.self) { try GitRepository.cache(url: url, in: cacheDir.url) }
        #expect(none?.kind == .authentication)

        let unset = #expect(throws: GitError.self) {
            try GitRepository.cache(url: url, in: cacheDir.url, credentials: GitCredentials(token: .environment("SLUICE_TEST_UNSET_\(UUID().uuidString.prefix(8))")))
        }
        #expect(unset?.kind == .authentication)
        #expect(unset?.message.contains("is not set") == true)

        let inURL = #expect(throws: GitError.self) {
            try GitRepository.cache(url: server.url("specs.git", userInfo: "\(Self.user):wrong-token-value"), in: cacheDir.url)
        }
        #expect(inURL?.description.contains("wrong-token-value") == false)
    }
}
