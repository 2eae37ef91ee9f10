import Synchronization
import SluiceYAML

/// The documents of the files loaded so far, by path and content identity (a Git blob id), for
/// loads of several revisions of one repository: `sluice check` loads the base and the head, and
/// a pull request changes a few files of thousands. A file whose path and blob are the same at
/// both revisions is read and parsed once; its documents are the same values at both, source
/// locations included, so the loaded spec sets are what two separate loads would give.
///
/// Files of a tree that cannot name their content (`SourceTree.contentIdentity`) are never kept.
/// It holds what the loads that use it hold anyway; it lives as long as they do.
public final class ParsedFiles: Sendable {
    private struct Key: Hashable {
        var path: String
        var content: String
    }

    private let documents = Mutex<[Key: [Value]]>([:])

    public init() {}

    /// How many files are kept.
    public var count: Int { documents.withLock { $0.count } }

    func documents(of path: String, content: String) -> [Value]? {
        documents.withLock { $0[Key(path: path, content: content)] }
    }

    func keep(_ parsed: [Value], of path: String, content: String) {
        documents.withLock { $0[Key(path: path, content: content)] = parsed }
    }
}
