import Foundation
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing

/// `ssh://` against a real OpenSSH server: key authentication and host-key pinning.
@Suite("Fetching over ssh://", .enabled(if: SSHGitServer.unavailableReason == nil, "\(SSHGitServer.unavailableReason ?? "")"))
struct SSHTransportTests {
    @Test("clone and fetch with a key; the host key must be pinned; an unknown client key is refused")
    func ssh() throws {
        let server = try SSHGitServer()
        let bare = try makeBareRepository(server.directory.url.appendingPathComponent("specs.git"))
        let fixture = try GitFixtureRepo()
        let first = try fixture.commit("first", files: ["jobs/a.yaml": "a: 1\n"])
        try fixture.push(to: bare.path)
        let url = server.url(bare)
        let pinned = GitCredentials(sshKey: .init(privateKeyPath: server.clientKey.path), useSSHAgent: false,
                                    knownHostsFile: server.knownHosts.path)

        let cacheDir = try TemporaryDirectory(prefix: "sluice-cache")
        let cache = try GitRepository.cache(url: url, in: cacheDir.url, credentials: pinned)
        #expect(try cache.resolve("main").hex == first, "sshd.log:\n\(server.log)")
        let second = try fixture.commit("second", files: ["jobs/a.yaml": "a: 2\n"])
        try fixture.push(to: bare.path)
        try cache.fetch()
        #expect(try String(decoding: cache.read("jobs/a.yaml", at: cache.resolve("main")), as: UTF8.self) == "a: 2\n")
        #expect(try cache.resolve("main").hex == second)

        // A server whose key is not the pinned one is refused before any credential is offered.
        var mismatched = pinned
        mismatched.knownHostsFile = server.wrongKnownHosts.path
        let refused = #expect(throws: GitError.self) {
            try GitRepository.cache(url: url, in: try TemporaryDirectory(prefix: "sluice-cache").url, credentials: mismatched)
        }
        #expect(refused?.description.contains("is not pinned in \(server.wrongKnownHosts.path)") == true, "\(String(describing: refused))")
        #expect(refused?.description.contains("SHA256:") == true, "the refusal names the key's fingerprint")

        // A key the server does not know: an authentication error that names the URL, never a key path's content.
        let stranger = GitCredentials(sshKey: .init(privateKeyPath: server.strangerKey.path), useSSHAgent: false,
                                      knownHostsFile: server.knownHosts.path)
        let denied = #expect(throws: GitError.self) {
            try GitRepository.cache(url: url, in: try TemporaryDirectory(prefix: "sluice-cache").url, credentials: stranger)
        }
        #expect(denied?.kind == .authentication, "\(String(describing: denied))")
        #expect(denied?.description.contains("ssh://127.0.0.1:\(server.port)") == true)
    }
}
