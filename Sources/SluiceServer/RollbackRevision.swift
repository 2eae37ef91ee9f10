import SluiceCore

/// What `POST /api/v1/rollback` accepts as a revision before asking Git: a branch, a tag or a
/// commit id, as text that cannot be read as an option (`--upload-pack=...`) or smuggle whitespace
/// or control characters. Git then has to resolve it to a commit of the spec repository.
public enum RollbackRevision {
    public static let maxLength = 256

    public struct Refusal: SluiceError, Hashable {
        public var message: String
        public var hint: String? { "name a commit of the spec repository: its id, a tag or a branch (GET /api/v1/history lists synced revisions)" }
    }

    public static func check(_ revision: String) throws(Refusal) {
        if revision.isEmpty { throw Refusal(message: "the revision is empty") }
        if revision.count > maxLength { throw Refusal(message: "the revision is longer than \(maxLength) characters") }
        if revision.hasPrefix("-") { throw Refusal(message: "a revision cannot start with \"-\"") }
        if revision.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7f }) {
            throw Refusal(message: "a revision cannot contain whitespace or control characters")
        }
    }
}
