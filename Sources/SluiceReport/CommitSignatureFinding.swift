/// What `sluice check` found about the signature of the head revision (and, with
/// `--verify-commits=all`, of every commit since --base). A failure denies the change when
/// verification is required and warns otherwise.
public struct CommitSignatureFinding: Sendable, Hashable {
    /// `commit <sha>` or `tag <name>`: the object the finding is about (the first that failed, or the head).
    public var object: String
    public var revision: String
    public var verified: Bool
    /// Whether verification is required (`--verify-commits` head or all).
    public var required: Bool
    /// The typed reason of a failure (`unsigned`, `bad_signature`, `untrusted_signer`, ...).
    public var reason: String?
    public var message: String
    public var signer: String?
    public var fingerprint: String?

    public init(object: String, revision: String, verified: Bool, required: Bool, reason: String? = nil, message: String,
                signer: String? = nil, fingerprint: String? = nil) {
        self.object = object
        self.revision = revision
        self.verified = verified
        self.required = required
        self.reason = reason
        self.message = message
        self.signer = signer
        self.fingerprint = fingerprint
    }

    public var denies: Bool { required && !verified }
    public var warns: Bool { !required && !verified }
    /// `error`, `warning` or `note`, as CI systems grade findings.
    public var level: String { denies ? "error" : warns ? "warning" : "note" }
    /// The rule id in SARIF and the title of annotations.
    public static let rule = "sluice/commit-signature"
}
