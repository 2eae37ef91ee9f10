import Foundation
import SluiceTestSupport
import SluiceYAML
import Testing

/// `--verify-commits`, `--allowed-signers` and `--gpg-keyring` on the commands, as a user runs them.
@Suite("sluice with signed commits")
struct SignedCommitsCLITests {
    /// A spec repository whose first commit is signed by `key` and whose second is not.
    static func repository() throws -> (work: TemporaryDirectory, key: SSHSigningKey, stranger: SSHSigningKey, signers: String,
                                        signed: String, unsigned: String) {
        let work = try TemporaryDirectory(prefix: "sluice-signed-cli")
        let repo = work.url.appendingPathComponent("repo")
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        let key = try SSHSigningKey.generate(in: work.url, name: "deployer", type: "ed25519")
        let stranger = try SSHSigningKey.generate(in: work.url, name: "stranger", type: "ed25519")
        let signers = try work.write("allowed_signers", key.allowedSignersLine("test@localhost", options: #"namespaces="git""#) + "\n").path
        try FileManager.default.copyItem(at: SluiceBinary.repositoryRoot.appendingPathComponent("specs-example"),
                                         to: repo.appendingPathComponent("specs-example"))
        try git(["init", "-q"], in: repo)
        try git(["add", "-A"], in: repo)
        try git(["commit", "-q", "-S", "-m", "signed"], in: repo, config: key.gitConfig)
        let signed = try git(["rev-parse", "HEAD"], in: repo, config: [])
        try git(["commit", "-q", "--allow-empty", "-m", "unsigned"], in: repo)
        let unsigned = try git(["rev-parse", "HEAD"], in: repo, config: [])
        return (work, key, stranger, signers, signed, unsigned)
    }

    @Test("validate and render accept a signed revision, and refuse an unsigned or untrusted one with the reason and key")
    func validateAndRender() async throws {
        let (work, key, stranger, signers, signed, unsigned) = try Self.repository()
        let repo = work.url.appendingPathComponent("repo").path
        let base = ["--repo", repo, "--path", "specs-example"]

        let good = try await SluiceBinary.run(["validate"] + base + ["--revision", signed, "--allowed-signers", signers])
        #expect(good.status == 0, "\(good)")
        #expect(good.stderr.contains("verified: commit \(signed.prefix(12)) signed by test@localhost (ssh key \(key.fingerprint))"))

        let refused = try await SluiceBinary.run(["render"] + base + ["--revision", unsigned, "--allowed-signers", signers])
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.contains("commit \(unsigned.prefix(12)) is not trusted: not signed"))
        #expect(refused.stdout.isEmpty, "nothing is rendered")

        // The trust root from the environment, and a bare --verify-commits.
        let viaEnvironment = try await SluiceBinary.run(["validate"] + base + ["--revision", unsigned, "--verify-commits"],
                                                        environment: ["SLUICE_ALLOWED_SIGNERS": signers])
        #expect(viaEnvironment.status == 2 && viaEnvironment.stderr.contains("not signed"), "\(viaEnvironment)")

        // Signed, but by a key the host does not trust: the message names the key's fingerprint.
        try git(["commit", "-q", "--allow-empty", "-S", "-m", "by a stranger"], in: URL(fileURLWithPath: repo), config: stranger.gitConfig)
        let untrusted = try await SluiceBinary.run(["validate"] + base + ["--revision", "HEAD", "--allowed-signers", signers])
        #expect(untrusted.status == 2)
        #expect(untrusted.stderr.contains("signer not trusted") && untrusted.stderr.contains(stranger.fingerprint), "\(untrusted)")

        // --verify-commits without a trust root, and on files on disk, are usage errors.
        let noRoot = try await SluiceBinary.run(["validate"] + base + ["--revision", signed, "--verify-commits=head"])
        #expect(noRoot.status == 2 && noRoot.stderr.contains("needs a trust root"), "\(noRoot)")
        let onDisk = try await SluiceBinary.run(["validate", "--repo", repo, "--path", "specs-example", "--allowed-signers", signers])
        #expect(onDisk.status == 2 && onDisk.stderr.contains("--revision"), "\(onDisk)")
        // Explicitly off: trust roots given, nothing required.
        #expect(try await SluiceBinary.run(["validate"] + base + ["--revision", unsigned, "--allowed-signers", signers, "--verify-commits=off"]).status == 0)
    }

    @Test("sluice check reports the head's signature: Deny when required, a warning when not")
    func check() async throws {
        let (work, _, _, signers, signed, unsigned) = try Self.repository()
        let repo = work.url.appendingPathComponent("repo").path
        let args = ["check", "--repo", repo, "--path", "specs-example", "--policies", "none", "--base", signed, "--head", unsigned]

        let denied = try await SluiceBinary.run(args + ["--allowed-signers", signers, "--output", "json"])
        #expect(denied.status == 1, "\(denied)")
        let json = try JSON.decode(denied.stdout)
        #expect(json[path: "signature", "verified"]?.boolValue == false)
        #expect(json[path: "signature", "level"]?.stringValue == "error")
        #expect(json[path: "signature", "reason"]?.stringValue == "unsigned")

        let text = try await SluiceBinary.run(args + ["--allowed-signers", signers])
        #expect(text.stdout.contains("signature: ERROR commit \(unsigned.prefix(12)) is not trusted: not signed"), "\(text)")

        let warned = try await SluiceBinary.run(args + ["--allowed-signers", signers, "--verify-commits=off", "--output", "sarif"])
        #expect(warned.status == 0, "\(warned)")
        #expect(warned.stdout.contains("sluice/commit-signature") && warned.stdout.contains("\"warning\""))

        let verified = try await SluiceBinary.run(["check", "--repo", repo, "--path", "specs-example", "--policies", "none",
                                                   "--base", signed, "--head", signed, "--allowed-signers", signers, "--output", "json"])
        #expect(verified.status == 0, "\(verified)")
        #expect(try JSON.decode(verified.stdout)[path: "signature", "verified"]?.boolValue == true)
    }
}
