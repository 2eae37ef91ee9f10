import CGit2
import Foundation
import SluiceCore

/// A Git repository read through libgit2: a local working repository, or a bare cache of a remote
/// that is fetched incrementally.
///
/// One handle per repository is kept open for the life of the object, and every libgit2 object it
/// creates is freed before the call returns. Calls are serialized with a lock, so one instance can
/// be shared across tasks.
public final class GitRepository: @unchecked Sendable {
    /// Where the repository lives on disk.
    public let path: String
    /// The remote URL of a cache, without credentials; `nil` for a local repository.
    public let remoteURL: String?

    let handle: OpaquePointer
    let lock = NSLock()
    private let url: String?
    /// Guarded by `lock`; a later `cache(url:in:credentials:)` call may replace them.
    private var credentials: GitCredentials
    /// Guarded by `lock`; how long a fetch may wait on the network.
    private var timeouts = GitTimeouts()
    /// The budget of the fetch in progress, so `cancelFetch()` can end it; own lock, since the
    /// fetch holds `lock`.
    private let fetchLock = NSLock()
    private var activeBudget: FetchBudget?
    /// Set by `cancelFetch()`: a fetch that starts after it ends at once too (guarded by `fetchLock`).
    private var fetchesCancelled = false
    /// Blobs refused as too large, by id, with their size (guarded by `lock`).
    private var refusedBlobs: [String: Int] = [:]

    private init(handle: OpaquePointer, path: String, url: String?, credentials: GitCredentials) {
        self.handle = handle
        self.path = path
        self.url = url
        self.remoteURL = url.map(GitURL.redacted)
        self.credentials = credentials
    }

    deinit { git_repository_free(handle) }

    /// A name for messages: the remote URL of a cache, or the local path.
    public var displayName: String { remoteURL ?? path }

    /// Opens an existing local repository (bare or with a working tree) at `path` or above it.
    public static func open(path: String) throws -> GitRepository {
        LibGit2.initialize()
        var repo: OpaquePointer?
        let code = git_repository_open_ext(&repo, path, 0, nil)
        guard code == 0, let repo else {
            throw GitError(.notARepository, "\(path) is not a Git repository (\(GitError.lastLibraryMessage))",
                           hint: "pass the folder of a Git repository, or omit --revision to read the folder as it is")
        }
        var root = git_repository_workdir(repo).map { String(cString: $0) } ?? String(cString: git_repository_path(repo))
        while root.count > 1, root.hasSuffix("/") { root.removeLast() }  // libgit2 adds one; messages read better without
        return GitRepository(handle: repo, path: root, url: nil, credentials: GitCredentials())
    }

    /// The bare cache of the remote `url` inside `cacheDirectory`: cloned on first use, fetched
    /// incrementally (only new objects transfer) every time after.
    ///
    /// The cache folder's name is derived from the URL without credentials. Within one process
    /// there is one handle per cache folder: while a handle is alive, calling this again returns
    /// it (with the new credentials) after a fetch, so two fetches never race on the same folder.
    /// URLs: `file://`, plain local paths, `git://`, `http(s)://`, `ssh://` and `user@host:path`;
    /// `url.<base>.insteadOf` rewrites from Git config are not applied.
    /// With `fetch: false` an existing cache is opened as it is (a service that must start while
    /// the remote is unreachable fetches later).
    public static func cache(url: String, in cacheDirectory: URL, credentials: GitCredentials = GitCredentials(),
                             timeouts: GitTimeouts = GitTimeouts(), fetch: Bool = true) throws -> GitRepository {
        LibGit2.initialize()
        let folder = cacheDirectory.appendingPathComponent(GitURL.cacheName(for: url), isDirectory: true)
        let repository = try OpenCaches.shared.repository(at: folder.standardizedFileURL.path) {
            try openOrCreateCache(folder: folder, in: cacheDirectory, url: url, credentials: credentials)
        }
        repository.lock.withLock {
            repository.credentials = credentials
            repository.timeouts = timeouts
        }
        if fetch { try repository.fetch() }
        return repository
    }

    private static func openOrCreateCache(folder: URL, in cacheDirectory: URL, url: String,
                                          credentials: GitCredentials) throws -> GitRepository {
        try? FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
        var repo: OpaquePointer?
        if git_repository_open_bare(&repo, folder.path) != 0 {
            try check(git_repository_init(&repo, folder.path, 1)) { _ in
                GitError(.io, "cannot create the cache \(folder.path): \(GitError.lastLibraryMessage)",
                         hint: "check that the cache directory is writable (--cache-dir)")
            }
        }
        guard let repo else { throw GitError(.io, "cannot open the cache \(folder.path)") }
        return GitRepository(handle: repo, path: folder.path, url: url, credentials: credentials)
    }

    /// Fetches branches and tags from the remote into the cache, pruning what the remote deleted,
    /// and points the cache's HEAD at the remote's default branch.
    public func fetch() throws {
        guard let url else { return }
        lock.lock()
        defer { lock.unlock() }
        // A connection cut mid-transfer (proxies, busy servers) is worth two more tries; a
        // refused credential or an unknown repository is not.
        // A timeout is not retried: the deadline covers all attempts.
        let budget = FetchBudget(timeouts)
        fetchLock.withLock {
            if fetchesCancelled { budget.cancel() }
            activeBudget = budget
        }
        defer { fetchLock.withLock { activeBudget = nil } }
        var attempt = 0
        while true {
            do {
                try Fetcher(repository: handle, url: url, credentials: credentials, budget: budget).run()
                return
            } catch let error as GitError where error.kind == .unreachable && attempt < 2 {
                attempt += 1
                usleep(UInt32(200_000 * attempt))
            }
        }
    }

    /// Ends the fetch in progress, if any, at once (it throws a `.timeout` error), and every fetch
    /// after it: a service that is asked to stop must not wait for a server that does not answer,
    /// even when the stop arrives just before a fetch begins.
    public func cancelFetch() {
        fetchLock.withLock {
            fetchesCancelled = true
            return activeBudget
        }?.cancel()
    }

    /// Resolves a branch, tag (peeled to its commit), full or short commit id, `HEAD`, or an
    /// expression such as `main~2`, to a commit.
    public func resolve(_ revision: String) throws -> GitCommitID {
        lock.lock()
        defer { lock.unlock() }
        // revparse already tries refs/heads, refs/tags and refs/remotes; the explicit forms
        // win over an abbreviated id that happens to match, and a clone's `origin/<name>` lets
        // a branch name work in a repository that has no local branch of that name.
        let candidates = ["refs/heads/\(revision)", "refs/tags/\(revision)", revision, "refs/remotes/origin/\(revision)"]
        for candidate in candidates where !revision.isEmpty {
            var object: OpaquePointer?
            guard git_revparse_single(&object, handle, candidate) == 0, let object else { continue }
            defer { git_object_free(object) }
            var commit: OpaquePointer?
            guard git_object_peel(&commit, object, GIT_OBJECT_COMMIT) == 0, let commit else {
                throw GitError(.unknownRevision, "\(revision) in \(displayName) does not point to a commit",
                               hint: "name a branch, a tag or a commit")
            }
            defer { git_object_free(commit) }
            return GitCommitID(git_object_id(commit).pointee)
        }
        throw GitError(.unknownRevision, "unknown revision \"\(revision)\" in \(displayName)",
                       hint: "check the name; `git ls-remote \(remoteURL ?? path)` lists its branches and tags")
    }

    /// The files of a commit, read straight from the object database: no checkout.
    public func tree(at id: GitCommitID) throws -> GitTree {
        lock.lock()
        defer { lock.unlock() }
        let index = try withCommit(id) { commit -> ([String: git_oid], [SkippedEntry]) in
            var tree: OpaquePointer?
            try check(git_commit_tree(&tree, commit)) { _ in GitError(.io, "cannot read the tree of \(id.short): \(GitError.lastLibraryMessage)") }
            defer { git_tree_free(tree) }
            var blobs: [String: git_oid] = [:]
            var skipped: [SkippedEntry] = []
            try collectBlobs(tree!, prefix: "", into: &blobs, skipped: &skipped)
            return (blobs, skipped)
        }
        return GitTree(repository: self, commit: id, blobs: index.0, skipped: index.1)
    }

    /// The paths of the files at or below `path` in commit `id` (recursive, sorted, relative to
    /// the root; `""` means the whole tree). A path that does not exist at that commit throws
    /// `GitError` of kind `.missingPath`.
    public func files(at id: GitCommitID, under path: String = "") throws -> [String] {
        try tree(at: id).files(under: path)
    }

    /// The bytes of the file at `path` in commit `id`, read from the object database. A path that
    /// is missing (or a folder) at that commit throws `GitError` of kind `.missingPath`.
    public func read(_ path: String, at id: GitCommitID) throws -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        let clean = GitTree.normalize(path)
        let oid = try withCommit(id) { commit -> git_oid in
            var tree: OpaquePointer?
            try check(git_commit_tree(&tree, commit)) { _ in GitError(.io, "cannot read the tree of \(id.short): \(GitError.lastLibraryMessage)") }
            defer { git_tree_free(tree) }
            var entry: OpaquePointer?
            guard git_tree_entry_bypath(&entry, tree, clean) == 0, let entry else {
                throw GitError.missingPath(clean, in: "\(displayName)@\(id.short)")
            }
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else {
                throw GitError.missingPath(clean, in: "\(displayName)@\(id.short)", isFolder: true)
            }
            return git_tree_entry_id(entry).pointee
        }
        return try blobBytes(oid, path: clean)
    }

    // MARK: - Internals (called with the lock held)

    func withCommit<T>(_ id: GitCommitID, _ body: (OpaquePointer) throws -> T) throws -> T {
        var oid = id.oid
        var commit: OpaquePointer?
        guard git_commit_lookup(&commit, handle, &oid) == 0, let commit else {
            throw GitError(.unknownRevision, "commit \(id.short) is not in \(displayName)",
                           hint: "fetch the repository again, or check the commit id")
        }
        defer { git_commit_free(commit) }
        return try body(commit)
    }

    private func collectBlobs(_ tree: OpaquePointer, prefix: String, into blobs: inout [String: git_oid],
                              skipped: inout [SkippedEntry]) throws {
        for i in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, i) else { continue }
            let name = String(cString: git_tree_entry_name(entry))
            let path = prefix.isEmpty ? name : "\(prefix)/\(name)"
            switch git_tree_entry_type(entry) {
            case GIT_OBJECT_BLOB where git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK:
                skipped.append(SkippedEntry(path: path, reason: "a symbolic link (not followed)"))
            case GIT_OBJECT_BLOB:
                blobs[path] = git_tree_entry_id(entry).pointee
            case GIT_OBJECT_TREE:
                var sub: OpaquePointer?
                guard git_tree_lookup(&sub, handle, git_tree_entry_id(entry)) == 0, let sub else {
                    throw GitError(.io, "cannot read folder \(path): \(GitError.lastLibraryMessage)")
                }
                defer { git_tree_free(sub) }
                try collectBlobs(sub, prefix: path, into: &blobs, skipped: &skipped)
            default:
                skipped.append(SkippedEntry(path: path, reason: "a submodule (not part of the spec tree)"))
            }
        }
    }

    /// Reads one blob of a `GitTree`; takes the lock. The size comes from the object header
    /// first (no content is inflated), and a blob refused once is refused again from memory.
    func readBlob(_ oid: git_oid, path: String, maxBytes: Int = Int.max - 1) throws -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        let key = GitCommitID(oid).hex
        if let size = refusedBlobs[key], size > maxBytes { throw FileTooLarge(file: path, size: size, limit: maxBytes) }
        var oid = oid
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, handle) == 0, let odb else {
            throw GitError(.io, "cannot open the object database of \(displayName): \(GitError.lastLibraryMessage)")
        }
        defer { git_odb_free(odb) }
        var size = 0
        var type = GIT_OBJECT_INVALID
        guard git_odb_read_header(&size, &type, odb, &oid) == 0 else {
            throw GitError(.io, "cannot read \(path) in \(displayName): \(GitError.lastLibraryMessage)")
        }
        if size > maxBytes {
            if refusedBlobs.count >= 4096 { refusedBlobs.removeAll() }  // bounded; a refusal is cheap to redo
            refusedBlobs[key] = size
            throw FileTooLarge(file: path, size: size, limit: maxBytes)
        }
        return try blobBytes(oid, path: path)
    }

    private func blobBytes(_ oid: git_oid, path: String) throws -> [UInt8] {
        var oid = oid
        var blob: OpaquePointer?
        guard git_blob_lookup(&blob, handle, &oid) == 0, let blob else {
            throw GitError(.io, "cannot read \(path) in \(displayName): \(GitError.lastLibraryMessage)")
        }
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let raw = git_blob_rawcontent(blob) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: raw, count: size))
    }
}

/// One-time global set-up of libgit2.
enum LibGit2 {
    private static let once: Void = { git_libgit2_init(); return () }()
    static func initialize() { _ = once }
}
