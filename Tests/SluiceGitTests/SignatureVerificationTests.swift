import Foundation
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing

/// Commit and tag signatures made by the real tools (`git commit -S` with `ssh-keygen` keys and
/// `gpg.format ssh`, GnuPG keys checked by `gpgv`), verified against host trust roots. Each
/// refusal is checked for its own typed reason.
@Suite("Commit and tag signature verification")
struct SignatureVerificationTests {
    /// A repository, a key folder and an allowed signers file.
    final class Fixture {
        let work: TemporaryDirectory
        let repository: URL
        var keys: URL { work.url.appendingPathComponent("keys") }

        init() throws {
            work = try TemporaryDirectory(prefix: "sluice-sig")
            repository = work.url.appendingPathComponent("repo")
            try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: repository, withIntermediateDirectories: true)
            try git(["init", "-q"], in: repository)
        }

        func key(_ name: String, _ type: String, bits: Int? = nil) throws -> SSHSigningKey {
            try SSHSigningKey.generate(in: keys, name: name, type: type, bits: bits)
        }

        /// Commits a change, signed with `config` (none: unsigned); returns the commit id.
        @discardableResult
        func commit(_ message: String, config: [String] = [], environment: [String: String] = [:]) throws -> GitCommitID {
            _ = try work.write("repo/\(message.replacingOccurrences(of: " ", with: "-")).yaml", "message: \(message)\n")
            try git(["add", "-A"], in: repository)
            try git(["commit", "-q", config.isEmpty ? "--no-gpg-sign" : "-S", "-m", message], in: repository, config: config, environment: environment)
            return GitCommitID(hex: try git(["rev-parse", "HEAD"], in: repository, config: []))
        }

        func allowedSigners(_ lines: [String]) throws -> AllowedSigners {
            try AllowedSigners(contentsOf: try work.write("allowed_signers-\(UUID().uuidString.prefix(6))", lines.joined(separator: "\n") + "\n").path)
        }

        func verifier(_ lines: [String]) throws -> SignatureVerifier {
            SignatureVerifier(allowedSigners: try allowedSigners(lines), openPGP: nil)
        }

        func open() throws -> GitRepository { try GitRepository.open(path: repository.path) }

        /// Writes a commit object by hand: `payload` (a commit without signature) with `signature`
        /// in its gpgsig header, as Git places it (after the committer line).
        func writeCommit(payload: String, signature: String) throws -> GitCommitID {
            let parts = payload.components(separatedBy: "\n\n")
            let header = parts[0], message = parts.dropFirst().joined(separator: "\n\n")
            let folded = signature.trimmingCharacters(in: .newlines).split(separator: "\n").joined(separator: "\n ")
            let object = "\(header)\ngpgsig \(folded)\n\n\(message)"
            let file = try work.write("object-\(UUID().uuidString.prefix(6))", object)
            return GitCommitID(hex: try git(["hash-object", "-t", "commit", "-w", file.path], in: repository, config: []))
        }

        /// The commit object of `id` without its gpgsig header: what the signature covers.
        func payload(of id: GitCommitID) throws -> String {
            let raw = try runProcess("/usr/bin/git", ["cat-file", "commit", id.hex], in: repository).stdout
            var lines: [Substring] = []
            var inSignature = false
            for line in raw.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("gpgsig ") { inSignature = true; continue }
                if inSignature && line.hasPrefix(" ") { continue }
                inSignature = false
                lines.append(line)
            }
            return lines.joined(separator: "\n")
        }
    }

    /// The typed reason a verification failed with, or `nil` when it passed.
    static func refusal(_ body: () throws -> Any) -> SignatureError? {
        do {
            _ = try body()
            return nil
        } catch let error as SignatureError {
            return error
        } catch {
            Issue.record("not a SignatureError: \(error)")
            return nil
        }
    }

    @Test("git commit -S with ed25519, ECDSA P-256 and P-384, and RSA keys verifies natively, naming signer and key",
          arguments: [("ssh-ed25519", "ed25519", nil), ("ecdsa-sha2-nistp256", "ecdsa", 256), ("ecdsa-sha2-nistp384", "ecdsa", 384), ("ssh-rsa", "rsa", 3072)] as [(String, String, Int?)])
    func sshKeyTypes(expectedType: String, type: String, bits: Int?) throws {
        let fixture = try Fixture()
        let key = try fixture.key("signer", type, bits: bits)
        #expect(key.publicKey.hasPrefix(expectedType + " "))
        let commit = try fixture.commit("signed", config: key.gitConfig)
        let verifier = try fixture.verifier([key.allowedSignersLine("test@localhost")])
        let verified = try verifier.verifyCommit(commit, in: try fixture.open())
        #expect(verified.format == .ssh)
        #expect(verified.fingerprint == key.fingerprint, "the fingerprint is the one ssh-keygen -l prints")
        #expect(verified.signer == "test@localhost")
        #expect(verified.revision == commit.hex)
    }

    @Test("SHA-256 message hashes (ssh-keygen -O hashalg=sha256) verify; a signature made for another namespace is refused")
    func hashAlgorithmAndNamespace() throws {
        let fixture = try Fixture()
        let key = try fixture.key("signer", "ed25519")
        let unsigned = try fixture.commit("base")
        let payload = try fixture.payload(of: unsigned)
        let verifier = try fixture.verifier([key.allowedSignersLine("*@localhost")])
        let repository = { try fixture.open() }

        let sha256 = try fixture.writeCommit(payload: payload, signature: try key.sign(Array(payload.utf8), namespace: "git", hashAlgorithm: "sha256", in: fixture.keys))
        #expect(try verifier.verifyCommit(sha256, in: try repository()).fingerprint == key.fingerprint)

        let fileNamespace = try fixture.writeCommit(payload: payload, signature: try key.sign(Array(payload.utf8), namespace: "file", in: fixture.keys))
        let error = Self.refusal { try verifier.verifyCommit(fileNamespace, in: try repository()) }
        #expect(error?.reason == .wrongNamespace)
        #expect(error?.fingerprint == key.fingerprint)
        #expect(error?.message.contains("\"file\"") == true)
    }

    @Test("a tampered commit (content changed, signature kept) is a bad signature")
    func tampered() throws {
        let fixture = try Fixture()
        let key = try fixture.key("signer", "ed25519")
        let signed = try fixture.commit("deploy v1", config: key.gitConfig)
        let raw = try runProcess("/usr/bin/git", ["cat-file", "commit", signed.hex], in: fixture.repository).stdout
        #expect(raw.contains("gpgsig -----BEGIN SSH SIGNATURE-----"))
        let file = try fixture.work.write("tampered", raw.replacingOccurrences(of: "deploy v1", with: "deploy v2"))
        let tampered = GitCommitID(hex: try git(["hash-object", "-t", "commit", "-w", file.path], in: fixture.repository, config: []))
        #expect(tampered != signed)

        let verifier = try fixture.verifier([key.allowedSignersLine("test@localhost")])
        let repository = try fixture.open()
        #expect(try verifier.verifyCommit(signed, in: repository).signer == "test@localhost")
        let error = Self.refusal { try verifier.verifyCommit(tampered, in: repository) }
        #expect(error?.reason == .badSignature)
        #expect(error?.fingerprint == key.fingerprint)
    }

    @Test("a signer outside allowed_signers, and no allowed signers at all, are untrusted; an unsigned commit is unsigned")
    func untrustedAndUnsigned() throws {
        let fixture = try Fixture()
        let trusted = try fixture.key("trusted", "ed25519"), stranger = try fixture.key("stranger", "ecdsa", bits: 256)
        let byStranger = try fixture.commit("by a stranger", config: stranger.gitConfig)
        let unsigned = try fixture.commit("unsigned")
        let verifier = try fixture.verifier([trusted.allowedSignersLine("test@localhost")])
        let repository = try fixture.open()

        let error = Self.refusal { try verifier.verifyCommit(byStranger, in: repository) }
        #expect(error?.reason == .untrustedSigner)
        #expect(error?.fingerprint == stranger.fingerprint, "the refusal names the stranger's key")
        #expect(error.map { "\($0)" }?.contains(stranger.fingerprint) == true)

        let noRoots = SignatureVerifier(allowedSigners: nil, openPGP: nil)
        #expect(Self.refusal { try noRoots.verifyCommit(byStranger, in: repository) }?.reason == .untrustedSigner)
        #expect(Self.refusal { try verifier.verifyCommit(unsigned, in: repository) }?.reason == .unsigned)
    }

    @Test("valid-after and valid-before are checked against the committer time; namespaces= must allow git")
    func validityAndNamespaces() throws {
        let fixture = try Fixture()
        let key = try fixture.key("signer", "ed25519")
        let in2021 = try fixture.commit("in 2021", config: key.gitConfig, environment: ["GIT_COMMITTER_DATE": "2021-06-01T12:00:00Z"])
        let repository = try fixture.open()
        func reason(_ options: String) throws -> SignatureError.Reason? {
            let verifier = try fixture.verifier([key.allowedSignersLine("test@localhost", options: options)])
            return Self.refusal { try verifier.verifyCommit(in2021, in: repository) }?.reason
        }
        #expect(try reason(#"valid-after="20200101Z",valid-before="20220101Z""#) == nil)
        #expect(try reason(#"valid-after="20210601130000Z""#) == .outsideValidity, "signed an hour before the key became valid")
        #expect(try reason(#"valid-before="202105312359Z""#) == .outsideValidity, "signed after the key's window closed")
        #expect(try reason(#"namespaces="git,file""#) == nil)
        #expect(try reason(#"namespaces="file""#) == .namespaceNotAllowed)
        #expect(try reason(#"namespaces="*,!git""#) == .namespaceNotAllowed)

        // A key listed twice: the entry whose window fits wins, as ssh-keygen's find-principals does.
        let rotated = try fixture.verifier([
            key.allowedSignersLine("old@localhost", options: #"valid-before="20200101Z""#),
            key.allowedSignersLine("test@localhost", options: #"valid-after="20210101Z""#),
        ])
        #expect(try rotated.verifyCommit(in2021, in: repository).signer == "test@localhost")
    }

    @Test("allowed_signers lines that cannot be used are errors with file:line; cert-authority is refused")
    func allowedSignersErrors() throws {
        let fixture = try Fixture()
        let key = try fixture.key("signer", "ed25519")
        let good = try AllowedSigners(text: "# team\n\"alice@example.com,bob@example.com\" \(key.publicKey) laptop\n*@example.com namespaces=\"git\" \(key.publicKey)\n", file: "signers")
        #expect(good.entries.count == 2)
        #expect(good.entries[0].principals == ["alice@example.com", "bob@example.com"])
        #expect(good.entries[1].namespaces == ["git"])
        // A security-key (FIDO) key may be listed; the file stays usable (its signatures are refused as unsupported).
        func sshString(_ bytes: [UInt8]) -> [UInt8] {
            let n = UInt32(bytes.count)
            return [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + bytes
        }
        let skBlob = sshString(Array("sk-ssh-ed25519@openssh.com".utf8)) + sshString([UInt8](repeating: 7, count: 32)) + sshString(Array("ssh:".utf8))
        let sk = try AllowedSigners(text: "carol@example.com sk-ssh-ed25519@openssh.com \(Data(skBlob).base64EncodedString())\n", file: "signers")
        #expect(sk.entries.first?.key.type == "sk-ssh-ed25519@openssh.com")

        for (text, fragment) in [
            ("alice@example.com cert-authority \(key.publicKey)", "cert-authority"),
            ("alice@example.com valid-after=\"yesterday\" \(key.publicKey)", "not a time"),
            ("alice@example.com \(key.publicKey.split(separator: " ")[0]) not-base64!", "not base64"),
            ("alice@example.com restrict \(key.publicKey)", "unknown option"),
            ("alice@example.com ssh-dss AAAAB3NzaC1kc3M=", "not supported"),
        ] {
            let error = #expect(throws: DiagnosticError.self) { try AllowedSigners(text: "# comment\n" + text + "\n", file: "signers") }
            #expect(error?.diagnostics.first?.location == SourceLocation(file: "signers", line: 2, column: 1))
            #expect(error?.diagnostics.first?.message.contains(fragment) == true, "\(error?.description ?? "")")
        }
        #expect(throws: SignatureConfigurationError.self) { try AllowedSigners(contentsOf: fixture.work.url.appendingPathComponent("missing").path) }
    }

    @Test("with =all an unsigned commit under a signed merge is refused; =head alone lets it through")
    func range() throws {
        let fixture = try Fixture()
        let key = try fixture.key("signer", "ed25519")
        let verifier = try fixture.verifier([key.allowedSignersLine("test@localhost")])
        let trusted = try fixture.commit("trusted", config: key.gitConfig)
        try git(["checkout", "-q", "-b", "feature"], in: fixture.repository)
        let sneaked = try fixture.commit("sneaked in")
        try git(["checkout", "-q", "main"], in: fixture.repository)
        try git(["merge", "-q", "--no-ff", "-S", "-m", "signed merge", "feature"], in: fixture.repository, config: key.gitConfig)
        let repository = try fixture.open()
        let merge = try repository.resolve("main")

        let head = SignaturePolicy(scope: .head, verifier: verifier)
        #expect(try head.verify(revision: "main", head: merge, in: repository, trusted: trusted).map(\.revision) == [merge.hex])

        let all = SignaturePolicy(scope: .all, verifier: verifier)
        let error = Self.refusal { try all.verify(revision: "main", head: merge, in: repository, trusted: trusted) }
        #expect(error?.reason == .unsigned)
        #expect(error?.revision == sneaked.hex, "the refusal names the unsigned commit, not the merge")

        // From the merge on, a signed child verifies: the range starts at the trusted commit.
        let child = try fixture.commit("signed child", config: key.gitConfig)
        let verified = try all.verify(revision: "main", head: child, in: repository, trusted: merge)
        #expect(verified.map(\.revision) == [child.hex])
        // A cache of verified commits (serve's, across rounds) skips what already verified, never what failed.
        let cache = VerifiedCommits()
        #expect(Self.refusal { try all.verify(revision: "main", head: child, in: repository, trusted: trusted, cache: cache) }?.revision == sneaked.hex)
        #expect(cache.contains(child) && cache.contains(merge) && !cache.contains(sneaked))
        #expect(Self.refusal { try all.verify(revision: "main", head: child, in: repository, trusted: trusted, cache: cache) }?.revision == sneaked.hex)
        #expect(try all.verify(revision: "main", head: child, in: repository, trusted: merge, cache: cache).isEmpty)
        // Without a trusted commit the whole history is checked (and --verify-since starts it later).
        #expect(Self.refusal { try all.verify(revision: "main", head: child, in: repository) }?.revision == sneaked.hex)
        #expect(try SignaturePolicy(scope: .all, verifier: verifier, since: merge.hex).verify(revision: "main", head: child, in: repository).count == 1)
        #expect(throws: SignatureConfigurationError.self) {
            try SignaturePolicy(scope: .all, verifier: verifier, rangeLimit: 2).verify(revision: "main", head: child, in: repository)
        }
    }

    @Test("tags: a signed annotated tag verifies, a lightweight or unsigned annotated tag is refused")
    func tags() throws {
        let fixture = try Fixture()
        let key = try fixture.key("signer", "ecdsa", bits: 384)
        let verifier = try fixture.verifier([key.allowedSignersLine("test@localhost")])
        try fixture.commit("release", config: key.gitConfig)
        try git(["tag", "-s", "v1.0.0", "-m", "release 1.0.0"], in: fixture.repository, config: key.gitConfig)
        try git(["tag", "v1.0.1"], in: fixture.repository)
        try git(["tag", "-a", "v1.0.2", "-m", "unsigned release"], in: fixture.repository)
        let repository = try fixture.open()
        let policy = SignaturePolicy(scope: .head, verifier: verifier)
        let head = try repository.resolve("HEAD")

        let verified = try policy.verify(revision: "v1.0.0", head: head, in: repository)
        #expect(verified.map(\.object) == ["tag v1.0.0", "commit \(head.short)"])
        #expect(verified[0].fingerprint == key.fingerprint)
        #expect(Self.refusal { try policy.verify(revision: "v1.0.1", head: head, in: repository) }?.reason == .lightweightTag)
        #expect(Self.refusal { try policy.verify(revision: "v1.0.2", head: head, in: repository) }?.reason == .unsigned)
        #expect(try verifier.verifyTag("main", in: repository) == nil, "a branch is not a tag")

        // A tag whose message was changed after signing.
        let raw = try runProcess("/usr/bin/git", ["cat-file", "tag", "v1.0.0"], in: fixture.repository).stdout
        let file = try fixture.work.write("tag", raw.replacingOccurrences(of: "release 1.0.0", with: "release 6.6.6"))
        let forged = try git(["hash-object", "-t", "tag", "-w", file.path], in: fixture.repository, config: [])
        try git(["update-ref", "refs/tags/v6.6.6", forged], in: fixture.repository)
        #expect(Self.refusal { try policy.verify(revision: "v6.6.6", head: head, in: try fixture.open()) }?.reason == .badSignature)
    }

    @Test("OpenPGP through gpgv: a good signature names the primary key; unknown, expired and revoked keys are refused")
    func openPGP() throws {
        let fixture = try Fixture()
        let gpg = try GPGHome()
        let alice = try gpg.generateKey("Alice <alice@example.com>")
        let stranger = try gpg.generateKey("Stranger <stranger@example.com>")
        // Made and used in 2020, expired a day later.
        let expired = try gpg.generateKey("Old <old@example.com>", expire: "1d", fakedTime: "20200101T000000")
        let revoked = try gpg.generateKey("Gone <gone@example.com>")

        let good = try fixture.commit("by alice", config: try gpg.gitConfig(alice), environment: gpg.environment)
        let byStranger = try fixture.commit("by a stranger", config: try gpg.gitConfig(stranger), environment: gpg.environment)
        let byExpired = try fixture.commit("by an expired key", config: try gpg.gitConfig(expired, fakedTime: "20200101T010000"),
                                           environment: gpg.environment.merging(["GIT_COMMITTER_DATE": "2020-01-01T01:00:00Z"]) { $1 })
        let byRevoked = try fixture.commit("by a revoked key", config: try gpg.gitConfig(revoked), environment: gpg.environment)
        try gpg.revoke(revoked)
        let keyring = try gpg.exportKeyring([alice, expired, revoked])

        let verifier = try SignatureVerifier(allowedSignersFile: nil, gpgKeyring: keyring)
        let repository = try fixture.open()
        let verified = try verifier.verifyCommit(good, in: repository)
        #expect(verified.format == .openpgp && verified.fingerprint == alice && verified.signer == "Alice <alice@example.com>")

        let unknown = Self.refusal { try verifier.verifyCommit(byStranger, in: repository) }
        #expect(unknown?.reason == .untrustedSigner)
        #expect(unknown?.fingerprint?.contains(String(stranger.suffix(16))) == true, "names the key id gpgv reported")
        #expect(Self.refusal { try verifier.verifyCommit(byExpired, in: repository) }?.reason == .expiredKey)
        let gone = Self.refusal { try verifier.verifyCommit(byRevoked, in: repository) }
        #expect(gone?.reason == .revokedKey)
        #expect(gone?.fingerprint == revoked)

        // A tampered OpenPGP-signed commit.
        let raw = try runProcess("/usr/bin/git", ["cat-file", "commit", good.hex], in: fixture.repository).stdout
        let file = try fixture.work.write("tampered", raw.replacingOccurrences(of: "by alice", with: "by mallory"))
        let tampered = GitCommitID(hex: try git(["hash-object", "-t", "commit", "-w", file.path], in: fixture.repository, config: []))
        #expect(Self.refusal { try verifier.verifyCommit(tampered, in: repository) }?.reason == .badSignature)

        // An SSH-signed commit with only a keyring configured is not trusted.
        let key = try fixture.key("ssh", "ed25519")
        let sshSigned = try fixture.commit("ssh signed", config: key.gitConfig)
        #expect(Self.refusal { try verifier.verifyCommit(sshSigned, in: repository) }?.reason == .untrustedSigner)

        // An armored keyring is refused with the command that converts it.
        let armored = try fixture.work.write("armored.asc", try gpg.gpg(["--armor", "--export", alice]).stdout)
        let error = #expect(throws: SignatureConfigurationError.self) { try OpenPGPVerifier(keyring: armored.path) }
        #expect(error?.hint?.contains("--dearmor") == true)
    }

    @Test("hostile signatures are malformed, never a crash")
    func hostile() throws {
        let fixture = try Fixture()
        let key = try fixture.key("signer", "ed25519")
        let verifier = try fixture.verifier([key.allowedSignersLine("*")])
        let payload = try fixture.payload(of: try fixture.commit("base"))
        let real = try key.sign(Array(payload.utf8), namespace: "git", in: fixture.keys)
        let blob = Array(Data(base64Encoded: real.split(separator: "\n").dropFirst().dropLast().joined())!)
        func armored(_ bytes: [UInt8]) -> String {
            "-----BEGIN SSH SIGNATURE-----\n\(Data(bytes).base64EncodedString(options: [.lineLength64Characters]))\n-----END SSH SIGNATURE-----\n"
        }
        var cases = [armored([]), armored(Array("SSHSIG".utf8)), armored(Array(blob.prefix(40))), "-----BEGIN SSH SIGNATURE-----\n!!!\n-----END SSH SIGNATURE-----\n"]
        var huge = blob
        huge.replaceSubrange(10..<14, with: [0xff, 0xff, 0xff, 0xf0])  // the public key's length
        cases.append(armored(huge))
        for signature in cases {
            let id = try fixture.writeCommit(payload: payload, signature: signature)
            let reason = Self.refusal { try verifier.verifyCommit(id, in: try fixture.open()) }?.reason
            #expect(reason == .malformed, "\(signature.prefix(80))")
        }
        #expect(try verifier.verifyCommit(try fixture.writeCommit(payload: payload, signature: real), in: try fixture.open()).signer == "test@localhost", "the committer matches the pattern *")
    }
}
