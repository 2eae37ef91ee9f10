import Foundation
import SluiceGit

/// A branch head `serve` refuses to apply because a signature check failed; the last good
/// revision keeps running until a head that verifies arrives.
public struct UnverifiedRevision: Sendable, Hashable {
    /// The head commit that was refused.
    public var revision: String
    /// Why: the object that failed (the head, its tag, or a commit in the range), the typed
    /// reason, the signer and the key fingerprint when known.
    public var error: SignatureError
    /// When this head was first refused.
    public var since: Date

    public init(revision: String, error: SignatureError, since: Date = Date()) {
        self.revision = revision
        self.error = error
        self.since = since
    }

    /// `<sha> <reason> (signer …, key SHA256:…)`, naming the failing object when it is not the head.
    public var summary: String {
        var text = "\(revision) \(error.reason.phrase)"
        if error.revision != revision { text += " in \(error.object)" }
        if let detail = error.detail { text += ": \(detail)" }
        if !error.signerSummary.isEmpty { text += " \(error.signerSummary)" }
        return text
    }
}
