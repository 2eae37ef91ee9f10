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
}
