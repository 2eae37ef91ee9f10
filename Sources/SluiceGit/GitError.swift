import CGit2
import SluiceCore

/// A Git operation failed; the message names the repository (URL without credentials), remote,
/// ref or path, and the hint says what to check. Never contains a token or password.
public struct GitError: SluiceError, Hashable {
    /// What kind of failure, for callers that react differently (e.g. keep the last good revision).
    public enum Kind: String, Sendable, Hashable {
        case notARepository, unreachable, authentication, unknownRevision, missingPath, io
        /// The server took longer than a `GitTimeouts` limit (connect, stall or whole fetch).
        case timeout
    }

    public var kind: Kind
    public var message: String
    public var hint: String?

    public init(_ kind: Kind, _ message: String, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.hint = hint
    }

    /// `path` does not exist (or is a folder where a file was asked for) in `place` (`repo@commit`).
    static func missingPath(_ path: String, in place: String, isFolder: Bool = false) -> GitError {
        GitError(.missingPath, isFolder ? "\(path) is a folder, not a file, in \(place)" : "\(path) does not exist in \(place)",
                 hint: "paths are relative to the repository root; check --path and the revision")
    }

    /// libgit2's own description of the last error on this thread.
    static var lastLibraryMessage: String {
        guard let error = git_error_last(), let text = error.pointee.message else { return "unknown libgit2 error" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Throws `make()` when a libgit2 call returns a negative code.
@inline(__always)
func check(_ code: Int32, _ make: (Int32) -> GitError) throws {
    if code < 0 { throw make(code) }
}
