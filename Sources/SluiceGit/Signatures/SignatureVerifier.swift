import Foundation
import SluiceCore

/// A signature that verified: who signed what, with which key.
public struct VerifiedSignature: Sendable, Hashable {
    public enum Format: String, Sendable, Hashable { case ssh, openpgp }
    public var format: Format
    /// `commit <sha>` or `tag <name>`.
    public var object: String
    public var revision: String
    /// The signer as the trust root names them: the committer's email when it matches a principal
    /// pattern of the key's allowed signers entry, else the entry's principals; the OpenPGP user id.
    public var signer: String
    /// `SHA256:...` for SSH keys, the primary key's fingerprint for OpenPGP.
    public var fingerprint: String
}

/// Checks commit and tag signatures against trust roots that come from the host running Sluice
/// (an allowed signers file for SSH, a keyring for OpenPGP), never from the repository checked.
///
/// SSH signatures are verified natively (swift-crypto); OpenPGP signatures through `gpgv`.
/// Like `git verify-commit`, an SSH key's `valid-after`/`valid-before` window is checked against
/// the committer's (tagger's) time recorded in the object: the time the signer claims, which is
/// all a verifier of a Git object can know. A key removed from the allowed signers file stops
/// being trusted at once, whatever the window says.
public struct SignatureVerifier: Sendable {
    public var allowedSigners: AllowedSigners?
    public var openPGP: OpenPGPVerifier?
    /// The SSHSIG namespace Git signs with.
    public static let namespace = "git"

    public init(allowedSigners: AllowedSigners?, openPGP: OpenPGPVerifier?) {
        self.allowedSigners = allowedSigners
        self.openPGP = openPGP
    }

    /// Loads the trust roots from host files.
    public init(allowedSignersFile: String?, gpgKeyring: String?) throws {
        self.init(allowedSigners: try allowedSignersFile.map(AllowedSigners.init(contentsOf:)),
                  openPGP: try gpgKeyring.map { try OpenPGPVerifier(keyring: $0) })
    }

    /// Verifies commit `id`.
    public func verifyCommit(_ id: GitCommitID, in repository: GitRepository) throws -> VerifiedSignature {
        let signed = try repository.signedCommit(id)
        return try verify(signed, object: "commit \(id.short)", revision: id.hex)
    }

    /// Verifies the tag `revision` names, when it names one: a lightweight tag is refused (nobody
    /// signed it), an annotated tag must carry a good signature. `nil` when `revision` is not a tag.
    public func verifyTag(_ revision: String, in repository: GitRepository) throws -> VerifiedSignature? {
        switch try repository.tagReference(revision) {
        case .notATag:
            return nil
        case .lightweight(let name):
            let commit = try repository.resolve(revision)
            throw SignatureError(.lightweightTag, object: "tag \(name)", revision: commit.hex,
                                 detail: "it points straight at commit \(commit.short) and carries no signature")
        case .annotated(let name, let id, let signed):
            return try verify(signed, object: "tag \(name)", revision: id.hex)
        }
    }

    /// Verifies a signed object's signature over its payload.
    public func verify(_ signed: SignedObject, object: String, revision: String) throws(SignatureError) -> VerifiedSignature {
        guard let signature = signed.signature, !signature.isEmpty else {
            throw SignatureError(.unsigned, object: object, revision: revision)
        }
        guard signature.count <= GitRepository.maximumSignatureSize else {
            throw SignatureError(.malformed, object: object, revision: revision, detail: "a signature of \(signature.count) bytes")
        }
        if signature.starts(with: Array(SSHSignature.armorBegin.utf8)) {
            return try verifySSH(signature, signed: signed, object: object, revision: revision)
        }
        if signature.starts(with: Array("-----BEGIN PGP SIGNATURE-----".utf8)) {
            guard let openPGP else {
                throw SignatureError(.untrustedSigner, object: object, revision: revision,
                                     detail: "it is signed with OpenPGP and no keyring is configured (--gpg-keyring)")
            }
            let (signer, fingerprint) = try openPGP.verify(signature: signature, payload: signed.payload, object: object, revision: revision)
            return VerifiedSignature(format: .openpgp, object: object, revision: revision, signer: signer ?? "unknown user id",
                                     fingerprint: fingerprint ?? "unknown")
        }
        throw SignatureError(.unsupported, object: object, revision: revision,
                             detail: "only SSH and OpenPGP signatures are verified (X.509 signatures are not)")
    }

    private func verifySSH(_ armored: [UInt8], signed: SignedObject, object: String, revision: String) throws(SignatureError) -> VerifiedSignature {
        let signature: SSHSignature
        do {
            signature = try SSHSignature(armored: armored)
        } catch {
            throw SignatureError(.malformed, object: object, revision: revision, detail: error.description)
        }
        let key = signature.publicKey
        func failure(_ reason: SignatureError.Reason, _ detail: String? = nil, signer: String? = nil) -> SignatureError {
            SignatureError(reason, object: object, revision: revision, signer: signer, fingerprint: key.fingerprint, detail: detail)
        }
        let entries = allowedSigners?.entries(for: key) ?? []
        let principals = entries.isEmpty ? nil : entries.flatMap(\.principals).joined(separator: ",")
        guard signature.namespace == Self.namespace else {
            throw failure(.wrongNamespace, "signed for namespace \"\(signature.namespace)\", Git uses \"\(Self.namespace)\"", signer: principals)
        }
        // The signature is checked before trust, as ssh-keygen -Y verify does: a changed commit
        // reads as a bad signature whoever claims to have signed it.
        let valid: Bool
        do {
            valid = try signature.isValid(for: signed.payload)
        } catch {
            throw failure(.unsupported, error.description, signer: principals)
        }
        guard valid else { throw failure(.badSignature, nil, signer: principals) }
        guard let allowedSigners else {
            throw failure(.untrustedSigner, "it is signed with SSH and no allowed signers file is configured (--allowed-signers)")
        }
        guard !entries.isEmpty else { throw failure(.untrustedSigner, "the key is not in \(allowedSigners.file)") }
        var refusal: SignatureError?
        for entry in entries {
            let names = entry.principals.joined(separator: ",")
            if let namespaces = entry.namespaces, !PatternList.matches(Self.namespace, namespaces) {
                refusal = refusal ?? failure(.namespaceNotAllowed, "\(entry.location) allows namespaces \"\(namespaces.joined(separator: ","))\"", signer: names)
                continue
            }
            if let after = entry.validAfter, signed.time < after {
                refusal = refusal ?? failure(.outsideValidity, "signed at \(Self.format(signed.time)), before valid-after \(Self.format(after)) (\(entry.location))", signer: names)
                continue
            }
            if let before = entry.validBefore, signed.time > before {
                refusal = refusal ?? failure(.outsideValidity, "signed at \(Self.format(signed.time)), after valid-before \(Self.format(before)) (\(entry.location))", signer: names)
                continue
            }
            let signer = signed.email.flatMap { PatternList.matches($0, entry.principals) ? $0 : nil } ?? names
            return VerifiedSignature(format: .ssh, object: object, revision: revision, signer: signer, fingerprint: key.fingerprint)
        }
        throw refusal ?? failure(.untrustedSigner)
    }

    private static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }
}

/// What must be verified before a revision is used: by whom (the verifier) and how far back.
public struct SignaturePolicy: Sendable {
    public enum Scope: String, Sendable, CaseIterable {
        /// The commit that would be applied (and the tag, when the revision is one).
        case head
        /// Every commit between the last trusted commit and the head, the head included.
        case all
    }

    public var scope: Scope
    public var verifier: SignatureVerifier
    /// With `.all` and no trusted commit yet: where the range starts (a commit known to be
    /// trusted, e.g. the first signed one). Without it the whole history is verified.
    public var since: String?
    /// At most this many commits are verified in one range; more is an error that asks for `since`.
    public var rangeLimit: Int

    public init(scope: Scope, verifier: SignatureVerifier, since: String? = nil, rangeLimit: Int = 10_000) {
        self.scope = scope
        self.verifier = verifier
        self.since = since
        self.rangeLimit = rangeLimit
    }

    /// Verifies what `revision` (resolved to `head`) brings: its tag when it names one, the head
    /// commit, and with `.all` every commit reachable from the head but not from `trusted`
    /// (or `since`). Commits in `cache` (verified earlier against the same trust roots) are not
    /// checked again, and each commit that verifies is added to it. Returns every signature
    /// checked, newest first; throws `SignatureError` for the first object that fails.
    public func verify(revision: String, head: GitCommitID, in repository: GitRepository, trusted: GitCommitID? = nil,
                       cache: VerifiedCommits? = nil) throws -> [VerifiedSignature] {
        var verified: [VerifiedSignature] = []
        if let tag = try verifier.verifyTag(revision, in: repository) { verified.append(tag) }
        switch scope {
        case .head:
            verified.append(try verifier.verifyCommit(head, in: repository))
        case .all:
            let base = try trusted ?? since.map { try repository.resolve($0) }
            guard let commits = try repository.commits(from: head, excluding: base, limit: rangeLimit) else {
                throw SignatureConfigurationError(
                    "more than \(rangeLimit) commits lead to \(head.short)\(base.map { " from \($0.short)" } ?? ""); not verifying them all",
                    hint: "name the first trusted commit with --verify-since")
            }
            // A head that is an ancestor of the trusted commit (a rollback) is still checked itself.
            let pending = (commits.contains(head) ? commits : [head] + commits).filter { cache?.contains($0) != true }
            // One check per core at a time: an OpenPGP check is a gpgv process whose start-up is
            // most of its cost, so a range goes about as many times faster as there are cores.
            // The first failure in newest-first order is the one reported.
            let verifier = verifier
            let outcomes = pending.concurrentMap { commit in Result { try verifier.verifyCommit(commit, in: repository) } }
            for (commit, outcome) in zip(pending, outcomes) {
                if case .success = outcome { cache?.insert(commit) }
            }
            verified += try outcomes.map { try $0.get() }
        }
        return verified
    }
}

/// Commit ids whose signatures verified, shared by the rounds of a long-running service (its
/// trust roots do not change while it runs), so a refused head's range is not verified again
/// every round. Bounded: it starts over when full.
public final class VerifiedCommits: @unchecked Sendable {
    private let lock = NSLock()
    private var ids = Set<String>()
    private let capacity: Int

    public init(capacity: Int = 100_000) { self.capacity = capacity }

    public func contains(_ id: GitCommitID) -> Bool { lock.withLock { ids.contains(id.hex) } }

    public func insert(_ id: GitCommitID) {
        lock.withLock {
            if ids.count >= capacity { ids.removeAll() }
            ids.insert(id.hex)
        }
    }
}
