import SluiceCore

/// A commit or tag that must not be applied because its signature is missing, wrong or not
/// trusted. The reason is typed (callers switch on it; metrics use its raw value as a closed
/// label set); the message names the object, the reason, and the signer and key when known.
public struct SignatureError: SluiceError, Hashable {
    public enum Reason: String, Sendable, Hashable, CaseIterable, Codable {
        /// The object carries no signature.
        case unsigned
        /// The signature does not match the signed content (the content was changed after signing).
        case badSignature = "bad_signature"
        /// The key is not in the allowed signers file, or not in the OpenPGP keyring.
        case untrustedSigner = "untrusted_signer"
        /// The allowed signers entry's `valid-after`/`valid-before` window does not cover the object's time.
        case outsideValidity = "outside_validity"
        /// The SSH signature was made for another purpose than Git (`ssh-keygen -Y sign -n file`).
        case wrongNamespace = "wrong_namespace"
        /// The allowed signers entry's `namespaces=` option does not include `git`.
        case namespaceNotAllowed = "namespace_not_allowed"
        /// OpenPGP: the signing key has expired.
        case expiredKey = "expired_key"
        /// OpenPGP: the signing key has been revoked.
        case revokedKey = "revoked_key"
        /// OpenPGP: the signature itself has expired.
        case expiredSignature = "expired_signature"
        /// A key type, signature algorithm or signature format Sluice does not verify.
        case unsupported
        /// The signature cannot be parsed.
        case malformed
        /// `--revision` names a lightweight tag where a signed annotated tag is required.
        case lightweightTag = "lightweight_tag"
        /// The verifier itself failed (gpgv missing, timed out, or answered nothing usable).
        case verifierFailed = "verifier_failed"

        /// A short phrase for messages: `bad signature`, `signer not trusted`, ...
        public var phrase: String {
            switch self {
            case .unsigned: "not signed"
            case .badSignature: "bad signature (the content does not match its signature)"
            case .untrustedSigner: "signer not trusted"
            case .outsideValidity: "key outside its valid-after/valid-before window"
            case .wrongNamespace: "signature not made for Git (wrong namespace)"
            case .namespaceNotAllowed: "key not allowed to sign Git objects (namespaces)"
            case .expiredKey: "signing key expired"
            case .revokedKey: "signing key revoked"
            case .expiredSignature: "signature expired"
            case .unsupported: "unsupported signature"
            case .malformed: "malformed signature"
            case .lightweightTag: "lightweight tag (a signed annotated tag is required)"
            case .verifierFailed: "signature could not be verified"
            }
        }
    }

    public var reason: Reason
    /// What was checked: `commit <sha>` or `tag <name>`.
    public var object: String
    /// The full id of the commit or tag object.
    public var revision: String
    /// Who signed, as the trust root names them (allowed signers principals, OpenPGP user id), when known.
    public var signer: String?
    /// The key's fingerprint: `SHA256:...` for SSH (as `ssh-keygen -l` prints it), the primary key's for OpenPGP.
    public var fingerprint: String?
    /// More about this case (which window, which namespace, what gpgv said).
    public var detail: String?

    public init(_ reason: Reason, object: String, revision: String, signer: String? = nil, fingerprint: String? = nil, detail: String? = nil) {
        self.reason = reason
        self.object = object
        self.revision = revision
        self.signer = signer
        self.fingerprint = fingerprint
        self.detail = detail
    }

    /// `(signer alice@example.com, key SHA256:...)`, or empty when neither is known.
    public var signerSummary: String {
        let parts = [signer.map { "signer \($0)" }, fingerprint.map { "key \($0)" }].compactMap { $0 }
        return parts.isEmpty ? "" : "(\(parts.joined(separator: ", ")))"
    }

    public var message: String {
        var text = "\(object) is not trusted: \(reason.phrase)"
        if let detail { text += ": \(detail)" }
        if !signerSummary.isEmpty { text += " \(signerSummary)" }
        return text
    }

    public var hint: String? {
        switch reason {
        case .unsigned, .lightweightTag:
            "sign it (git commit -S, git tag -s) with a key listed in --allowed-signers or --gpg-keyring"
        case .untrustedSigner:
            "add the key to the allowed signers file or the keyring on the Sluice host if this signer is trusted; never trust a key because the repository says so"
        case .outsideValidity:
            "the allowed signers entry limits when this key may sign; re-sign with a current key or extend the window"
        case .wrongNamespace, .namespaceNotAllowed:
            "Git signs with namespace \"git\" (ssh-keygen -Y sign -n git); check the entry's namespaces= option"
        case .badSignature:
            "the commit or tag was changed after it was signed; do not apply it, and find out who pushed it"
        case .expiredKey, .revokedKey, .expiredSignature:
            "re-sign with a valid key, and update the keyring on the Sluice host"
        case .unsupported, .malformed:
            "sign with ssh-ed25519, ecdsa-sha2-nistp256/384, rsa (rsa-sha2-256/512) or OpenPGP"
        case .verifierFailed:
            "check that gpgv is installed (Debian package gpgv) and that the keyring file is readable"
        }
    }
}

/// The trust roots or the verification settings are wrong (a file is missing or unreadable, a line
/// of allowed signers cannot be parsed): nothing can be verified until they are fixed.
public struct SignatureConfigurationError: SluiceError, Hashable {
    public var location: SourceLocation?
    public var message: String
    public var hint: String?

    public init(at location: SourceLocation? = nil, _ message: String, hint: String? = nil) {
        self.location = location
        self.message = message
        self.hint = hint
    }
}
