import Foundation
import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// Verifies OpenPGP signatures with `gpgv` against one keyring file, the way Git's
/// gpg-interface.c reads gpg: only the machine-readable `--status-fd` lines count (GOODSIG,
/// VALIDSIG, BADSIG, EXPSIG, EXPKEYSIG, REVKEYSIG, ERRSIG, NO_PUBKEY), never the human text.
/// gpgv trusts every key in the keyring it is given, and nothing else: no agent, no user keyring.
public struct OpenPGPVerifier: Sendable {
    /// A binary keyring (`gpg --export KEYID > keyring.gpg`).
    public var keyring: String
    public var gpgv: String
    /// gpgv is killed when it takes longer.
    public var timeout: Duration

    /// Status output beyond this is not read (a few lines are expected).
    static let maximumStatusSize = 64 * 1024

    public init(keyring: String, gpgv: String = OpenPGPVerifier.defaultGPGV, timeout: Duration = .seconds(10)) throws {
        guard let handle = FileHandle(forReadingAtPath: keyring) else {
            throw SignatureConfigurationError("cannot read the OpenPGP keyring \(keyring)", hint: "pass a readable file to --gpg-keyring (or $SLUICE_GPG_KEYRING)")
        }
        let head = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        if String(decoding: head, as: UTF8.self).hasPrefix("-----BEGIN") {
            throw SignatureConfigurationError("the OpenPGP keyring \(keyring) is ASCII-armored; gpgv reads binary keyrings",
                                              hint: "convert it: gpg --dearmor < \(keyring) > keyring.gpg (or export with gpg --export, without --armor)")
        }
        self.keyring = URL(fileURLWithPath: keyring).standardizedFileURL.path
        self.gpgv = gpgv
        self.timeout = timeout
    }

    public static let defaultGPGV = ["/usr/bin/gpgv", "/bin/gpgv", "/usr/local/bin/gpgv"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "gpgv"

    /// What gpgv said about one signature.
    struct Outcome: Sendable, Hashable {
        enum Status: String, Sendable { case good = "GOODSIG", bad = "BADSIG", expiredSignature = "EXPSIG", expiredKey = "EXPKEYSIG", revokedKey = "REVKEYSIG", error = "ERRSIG" }
        var status: Status?
        /// How many exclusive statuses gpgv printed (more than one: several signatures, refused as Git does).
        var exclusiveCount = 0
        var keyID: String?
        var userID: String?
        /// The primary key's fingerprint from VALIDSIG.
        var fingerprint: String?
        var missingKey = false
    }

    /// Verifies `signature` (armored, detached) over `payload`; returns the signer's user id and primary key fingerprint.
    func verify(signature: [UInt8], payload: [UInt8], object: String, revision: String) throws(SignatureError) -> (signer: String?, fingerprint: String?) {
        func failure(_ reason: SignatureError.Reason, _ detail: String? = nil, _ outcome: Outcome? = nil) -> SignatureError {
            SignatureError(reason, object: object, revision: revision, signer: outcome?.userID,
                           fingerprint: outcome?.fingerprint ?? outcome?.keyID.map { "OpenPGP key \($0)" }, detail: detail)
        }
        let result: (Int32, String)
        do {
            result = try run(signature: signature, payload: payload)
        } catch {
            throw failure(.verifierFailed, error.description)
        }
        let (exit, status) = result
        let outcome = Self.parse(status)
        guard outcome.exclusiveCount <= 1 else { throw failure(.malformed, "gpgv reported \(outcome.exclusiveCount) signatures; exactly one is expected", outcome) }
        switch outcome.status {
        case .good?:
            guard exit == 0, outcome.fingerprint != nil else { throw failure(.verifierFailed, "gpgv exited \(exit) after a good signature without VALIDSIG", outcome) }
            return (outcome.userID, outcome.fingerprint)
        case .bad?: throw failure(.badSignature, nil, outcome)
        case .expiredSignature?: throw failure(.expiredSignature, nil, outcome)
        case .expiredKey?: throw failure(.expiredKey, nil, outcome)
        case .revokedKey?: throw failure(.revokedKey, nil, outcome)
        case .error?:
            if outcome.missingKey { throw failure(.untrustedSigner, "the key is not in the keyring \(keyring)", outcome) }
            throw failure(.unsupported, "gpgv cannot check this signature (ERRSIG)", outcome)
        case nil:
            throw failure(exit == 0 ? .malformed : .verifierFailed, "gpgv found no signature (exit \(exit))")
        }
    }

    /// Reads gpgv's `[GNUPG:]` status lines.
    static func parse(_ text: String) -> Outcome {
        var outcome = Outcome()
        for line in text.split(separator: "\n") where line.hasPrefix("[GNUPG:] ") {
            let fields = line.dropFirst(9).split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            guard let keyword = fields.first else { continue }
            if let status = Outcome.Status(rawValue: keyword) {
                outcome.exclusiveCount += 1
                outcome.status = status
                outcome.keyID = fields.count > 1 ? fields[1] : nil
                if status != .error, fields.count > 2 { outcome.userID = fields[2...].joined(separator: " ") }
            } else if keyword == "VALIDSIG", fields.count > 1 {
                // Field 10 is the primary key's fingerprint (the signature may come from a subkey).
                outcome.fingerprint = fields.count > 10 ? fields[10] : fields[1]
            } else if keyword == "NO_PUBKEY" {
                outcome.missingKey = true
            }
        }
        return outcome
    }

    struct RunFailure: Error, CustomStringConvertible { var description: String }

    /// Runs gpgv on files in a private temporary folder (its own empty home: nothing of the host
    /// user's GnuPG setup is read), bounded in time and output.
    private func run(signature: [UInt8], payload: [UInt8]) throws(RunFailure) -> (Int32, String) {
        var template = Array((NSTemporaryDirectory() + "/sluice-gpgv-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw RunFailure(description: "cannot create a temporary folder") }
        let folder = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let home = folder + "/home", sigPath = folder + "/signature.asc", dataPath = folder + "/payload", statusPath = folder + "/status"
        do {
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            try Data(signature).write(to: URL(fileURLWithPath: sigPath))
            try Data(payload).write(to: URL(fileURLWithPath: dataPath))
        } catch {
            throw RunFailure(description: "cannot write temporary files: \(error)")
        }
        let pid: pid_t
        do {
            pid = try Spawn.start(gpgv, ["--homedir", home, "--status-fd", "1", "--keyring", keyring, sigPath, dataPath],
                                  environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C"], standardOutput: statusPath,
                                  standardError: folder + "/stderr")
        } catch {
            throw RunFailure(description: error.description)
        }
        let deadline = ContinuousClock.now + timeout
        var raw: Int32 = 0
        var pause: useconds_t = 200
        while true {
            let result = waitpid(pid, &raw, WNOHANG)
            if result == pid { break }
            if result < 0 && errno != EINTR { throw RunFailure(description: "cannot wait for gpgv: \(String(cString: strerror(errno)))") }
            if ContinuousClock.now > deadline {
                kill(-pid, SIGKILL)
                waitpid(pid, &raw, 0)
                throw RunFailure(description: "gpgv did not answer within \(timeout)")
            }
            usleep(pause)
            pause = min(pause * 2, 2_000)
        }
        let exit = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        guard let handle = FileHandle(forReadingAtPath: statusPath) else { throw RunFailure(description: "gpgv wrote no status") }
        defer { try? handle.close() }
        let status = (try? handle.read(upToCount: Self.maximumStatusSize)) ?? Data()
        if exit == 127 && status.isEmpty { throw RunFailure(description: "cannot run \(gpgv)") }
        return (exit, String(decoding: status, as: UTF8.self))
    }
}
