import CGit2
import SluiceCore

/// The files of one commit, as a `SourceTree`: every path and blob id is listed once from the
/// object database when the tree is made (one walk over the commit's tree objects), then each
/// file is read by its blob id on demand, without walking from the root again.
public struct GitTree: SourceTree, @unchecked Sendable {
    let repository: GitRepository
    /// The commit whose files this is.
    public let commit: GitCommitID
    /// Every file path of the commit and its blob id. `git_oid` is plain bytes, safe to share.
    let blobs: [String: git_oid]
    private let sortedPaths: [String]
    /// Symlinks and submodules: listed, never read (as a working tree skips them).
    let skipped: [SkippedEntry]

    init(repository: GitRepository, commit: GitCommitID, blobs: [String: git_oid], skipped: [SkippedEntry] = []) {
        self.repository = repository
        self.commit = commit
        self.blobs = blobs
        self.skipped = skipped.sorted { $0.path < $1.path }
        sortedPaths = blobs.keys.sorted()
    }

    /// `<repository>@<short id>`, e.g. `git://host/specs.git@3f2a9c1b0d4e`.
    public var displayName: String { "\(repository.displayName)@\(commit.short)" }

    /// Files at or below `path` (sorted, relative to the root); `""` means every file. A path
    /// that names neither a file nor a folder at this commit throws `.missingPath`.
    public func files(under path: String) throws -> [String] {
        let clean = try containedTreePath(path)
        if clean.isEmpty { return sortedPaths }
        if blobs[clean] != nil { return [clean] }
        let prefix = clean + "/"
        let found = sortedPaths.filter { $0.hasPrefix(prefix) }
        if found.isEmpty { throw GitError.missingPath(clean, in: displayName) }
        return found
    }

    /// The bytes of the file at `path`; a missing path throws `.missingPath`.
    public func read(_ path: String) throws -> [UInt8] { try read(path, maxBytes: Int.max - 1) }

    /// The blob's size comes from its object header first; a blob over `maxBytes` is refused
    /// unread, and remembered so that no later poll reads its header again.
    public func read(_ path: String, maxBytes: Int) throws -> [UInt8] {
        let clean = try containedTreePath(path)
        guard let oid = blobs[clean] else {
            let isFolder = sortedPaths.contains { $0.hasPrefix(clean + "/") }
            throw GitError.missingPath(clean, in: displayName, isFolder: isFolder)
        }
        return try repository.readBlob(oid, path: clean, maxBytes: maxBytes)
    }

    /// The blob id of the file at `path`.
    public func contentIdentity(of path: String) -> String? {
        (blobs[path] ?? blobs[Self.normalize(path)]).map { GitCommitID($0).hex }
    }

    public func skippedEntries(under path: String) -> [SkippedEntry] {
        guard let clean = try? containedTreePath(path) else { return [] }
        return clean.isEmpty ? skipped : skipped.filter { $0.path == clean || $0.path.hasPrefix(clean + "/") }
    }

    /// `./a//b/` → `a/b`: paths from users and spec files compare equal to tree paths.
    static func normalize(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: true)
            .filter { $0 != "." }
            .joined(separator: "/")
    }
}
