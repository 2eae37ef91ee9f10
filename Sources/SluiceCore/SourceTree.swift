/// A read-only tree of files: a directory on disk, or a Git commit read straight from the
/// object database. Spec loading is written once against this protocol, so a spec set means
/// the same whether it comes from a working copy or from a commit.
public protocol SourceTree: Sendable {
    /// A short description for messages, e.g. `"/srv/specs"` or `"origin@3f2a9c1"`.
    var displayName: String { get }

    /// The paths of all regular files at or below `path` (relative to the tree's root,
    /// `/`-separated, sorted). An empty `path` means the whole tree.
    func files(under path: String) throws -> [String]

    /// The bytes of the file at `path`.
    func read(_ path: String) throws -> [UInt8]

    /// The bytes of the file at `path`, refused with `FileTooLarge` before reading when larger than `maxBytes`.
    func read(_ path: String, maxBytes: Int) throws -> [UInt8]

    /// Entries at or below `path` that `files(under:)` leaves out (symlinks, special files), each with its reason.
    func skippedEntries(under path: String) -> [SkippedEntry]

    /// What names the content of the file at `path` without reading it, when the tree knows: a
    /// Git blob id. Two files of one repository with the same path and the same identity hold
    /// the same bytes, so what was made from one holds for the other. `nil` when the tree cannot
    /// tell (a working tree, whose files change under the same name) or there is no such file.
    func contentIdentity(of path: String) -> String?
}

/// A file refused before it was read because it is larger than the limit.
public struct FileTooLarge: SluiceError, Hashable {
    public var file: String
    public var size: Int
    public var limit: Int
    public init(file: String, size: Int, limit: Int) {
        self.file = file
        self.size = size
        self.limit = limit
    }
    public var message: String { "\(file) is \(size) bytes, more than the limit of \(limit) bytes; it was not read" }
    public var hint: String? { "spec and policy files are small YAML; keep large data out of the spec repository" }
}

/// An entry of a tree that is not read, and why (a symlink, a FIFO, a device, a submodule).
public struct SkippedEntry: Sendable, Hashable {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// A `--path` (or a path in a spec) that would leave the tree's root.
public struct PathOutsideTree: SluiceError, Hashable {
    public var path: String
    public init(path: String) { self.path = path }
    public var message: String { "\(path) leaves the repository root" }
    public var hint: String? { "paths are relative to the repository root and cannot contain \"..\" or start with \"/\"" }
}

extension SourceTree {
    /// Reads `path` unless it is larger than `maxBytes`; trees that can learn the size first
    /// (a `stat`, a blob header) refuse without reading.
    public func read(_ path: String, maxBytes: Int) throws -> [UInt8] {
        let bytes = try read(path)
        if bytes.count > maxBytes { throw FileTooLarge(file: path, size: bytes.count, limit: maxBytes) }
        return bytes
    }

    /// Entries at or below `path` that `files(under:)` leaves out, each with its reason.
    public func skippedEntries(under path: String) -> [SkippedEntry] { [] }

    /// Unknown: the content can be told only by reading it.
    public func contentIdentity(of path: String) -> String? { nil }
}

/// `./a//b/` → `a/b`, refusing `..` components and absolute paths: a tree path never leaves the root.
public func containedTreePath(_ path: String) throws(PathOutsideTree) -> String {
    if path.hasPrefix("/") { throw PathOutsideTree(path: path) }
    let parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
    if parts.contains("..") { throw PathOutsideTree(path: path) }
    return parts.joined(separator: "/")
}
