import CGit2

/// A commit id: the full SHA-1 in lowercase hex.
public struct GitCommitID: Sendable, Hashable, CustomStringConvertible, Codable {
    /// The 40 hex digits.
    public let hex: String
    public var description: String { hex }
    /// The first 12 hex digits, as shown in messages.
    public var short: String { String(hex.prefix(12)) }

    /// An id from its full hex form (as printed by `git rev-parse`). It is not checked here; an
    /// id that is not in a repository gives `.unknownRevision` when it is used.
    public init(hex: String) { self.hex = hex.lowercased() }

    init(_ oid: git_oid) {
        var oid = oid
        hex = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 41) { buffer in
            String(cString: git_oid_tostr(buffer.baseAddress, 41, &oid))
        }
    }

    var oid: git_oid {
        var oid = git_oid()
        git_oid_fromstr(&oid, hex)
        return oid
    }
}
