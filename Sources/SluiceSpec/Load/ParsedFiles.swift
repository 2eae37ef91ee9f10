import Synchronization
import SluiceYAML

/// The documents of the files loaded so far, by path and content identity (a Git blob id), for
/// loads of several revisions of one repository: `sluice check` loads the base and the head, and
/// a pull request changes a few files of thousands. A file whose path and blob are the same at
/// both revisions is read and parsed once; its documents are the same values at both, source
/// locations included, so the loaded spec sets are what two separate loads would give.
///
/// The checks that read nothing but one document (`SpecValidator.DocumentChecks`) are kept too,
/// by the document's storage: a document shared this way is checked once.
///
/// Files of a tree that cannot name their content (`SourceTree.contentIdentity`) are never kept.
/// It holds what the loads that use it hold anyway; it lives as long as they do.
public final class ParsedFiles: Sendable {
    private struct Key: Hashable {
        var path: String
        var content: String
    }

    private let documents = Mutex<[Key: [Value]]>([:])
    /// Holds each document it keys by, so no address in it is reused while it lives.
    private let checked = Mutex<[StorageIdentity: (held: Value, checks: SpecValidator.DocumentChecks)]>([:])

    public init() {}

    /// How many files are kept.
    public var count: Int { documents.withLock { $0.count } }

    func documents(of path: String, content: String) -> [Value]? {
        documents.withLock { $0[Key(path: path, content: content)] }
    }

    func keep(_ parsed: [Value], of path: String, content: String) {
        documents.withLock { $0[Key(path: path, content: content)] = parsed }
    }

    /// The document checks of `document`: kept ones if its storage was checked before, else
    /// `check()`'s, kept for the next load. Used from all cores.
    func checks(of document: Value, _ check: () -> SpecValidator.DocumentChecks) -> SpecValidator.DocumentChecks {
        guard let identity = StorageIdentity(document) else { return check() }
        if let found = checked.withLock({ $0[identity]?.checks }) { return found }
        let made = check()
        checked.withLock { $0[identity] = (document, made) }
        return made
    }

    /// How many documents' checks are kept (for tests).
    var checkedCount: Int { checked.withLock { $0.count } }
}
