import CGit2
import Foundation

/// A commit or tag's signature and the exact bytes it signs, as Git verifies them.
public struct SignedObject: Sendable, Hashable {
    /// The armored signature (`gpgsig` header of a commit, the trailer of a tag's message); `nil` when unsigned.
    public var signature: [UInt8]?
    /// The bytes the signature covers: the object without its signature.
    public var payload: [UInt8]
    /// The committer's (tagger's) time: what `valid-after`/`valid-before` are checked against, as Git does.
    public var time: Date
    /// The committer's (tagger's) email, for naming the signer among an entry's principals.
    public var email: String?
}

/// What `--revision` names, when it is a tag.
public enum TagReference: Sendable, Hashable {
    /// Not a tag (a branch, a commit id, an expression).
    case notATag
    /// A tag ref pointing straight at a commit: nobody signed it.
    case lightweight(name: String)
    /// A tag object, with its id, signature and signed bytes.
    case annotated(name: String, id: GitCommitID, signed: SignedObject)
}

extension GitRepository {
    /// Signatures and signed objects past these sizes are refused as malformed before any work.
    static let maximumSignatureSize = 64 * 1024
    static let maximumSignedObjectSize = 16 << 20

    /// The signature of commit `id` and the bytes it signs (libgit2's `git_commit_extract_signature`).
    public func signedCommit(_ id: GitCommitID) throws -> SignedObject {
        lock.lock()
        defer { lock.unlock() }
        let (time, email) = try withCommit(id) { commit -> (Date, String?) in
            let committer = git_commit_committer(commit)!.pointee
            return (Date(timeIntervalSince1970: TimeInterval(committer.when.time)), committer.email.map { String(cString: $0) })
        }
        var signature = git_buf(), signedData = git_buf()
        defer { git_buf_dispose(&signature); git_buf_dispose(&signedData) }
        var oid = id.oid
        let code = git_commit_extract_signature(&signature, &signedData, handle, &oid, nil)
        if code == GIT_ENOTFOUND.rawValue {
            return SignedObject(signature: nil, payload: try rawObject(id).payload, time: time, email: email)
        }
        try check(code) { _ in GitError(.io, "cannot read the signature of \(id.short): \(GitError.lastLibraryMessage)") }
        guard signature.size <= Self.maximumSignatureSize, signedData.size <= Self.maximumSignedObjectSize else {
            throw SignatureError(.malformed, object: "commit \(id.short)", revision: id.hex,
                                 detail: "a signature of \(signature.size) bytes over \(signedData.size) bytes is larger than Sluice reads")
        }
        return SignedObject(signature: Self.bytes(signature), payload: Self.bytes(signedData), time: time, email: email)
    }

    /// Whether `revision` names a tag (`refs/tags/<revision>` exists and no branch of that name
    /// shadows it, matching `resolve`), and what kind.
    public func tagReference(_ revision: String) throws -> TagReference {
        let name = revision.hasPrefix("refs/tags/") ? String(revision.dropFirst("refs/tags/".count)) : revision
        lock.lock()
        defer { lock.unlock() }
        var branch: OpaquePointer?
        if !revision.hasPrefix("refs/tags/"), git_reference_lookup(&branch, handle, "refs/heads/\(name)") == 0 {
            git_reference_free(branch)
            return .notATag
        }
        var reference: OpaquePointer?
        guard git_reference_lookup(&reference, handle, "refs/tags/\(name)") == 0, let reference else { return .notATag }
        defer { git_reference_free(reference) }
        var resolved: OpaquePointer?
        guard git_reference_resolve(&resolved, reference) == 0, let resolved else {
            throw GitError(.unknownRevision, "tag \(name) in \(displayName) cannot be resolved: \(GitError.lastLibraryMessage)")
        }
        defer { git_reference_free(resolved) }
        let target = GitCommitID(git_reference_target(resolved)!.pointee)
        var object: OpaquePointer?
        var targetOID = target.oid
        guard git_object_lookup(&object, handle, &targetOID, GIT_OBJECT_ANY) == 0, let object else {
            throw GitError(.unknownRevision, "tag \(name) in \(displayName) points to a missing object")
        }
        defer { git_object_free(object) }
        guard git_object_type(object) == GIT_OBJECT_TAG else { return .lightweight(name: name) }
        let raw = try rawObject(target)
        let (signature, payload) = Self.splitTrailingSignature(raw.payload)
        let (time, email) = Self.taggerTimeAndEmail(raw.payload)
        return .annotated(name: name, id: target, signed: SignedObject(signature: signature, payload: payload, time: time, email: email))
    }

    /// The commits reachable from `head` but not from `trusted` (all of its history when
    /// `trusted` is nil), newest first, at most `limit`; `nil` when there are more.
    public func commits(from head: GitCommitID, excluding trusted: GitCommitID?, limit: Int) throws -> [GitCommitID]? {
        lock.lock()
        defer { lock.unlock() }
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, handle)) { _ in GitError(.io, "cannot walk the history of \(displayName): \(GitError.lastLibraryMessage)") }
        defer { git_revwalk_free(walk) }
        git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue)
        var start = head.oid
        try check(git_revwalk_push(walk, &start)) { _ in GitError(.unknownRevision, "commit \(head.short) is not in \(displayName)") }
        if let trusted {
            var hidden = trusted.oid
            try check(git_revwalk_hide(walk, &hidden)) { _ in GitError(.unknownRevision, "commit \(trusted.short) is not in \(displayName)") }
        }
        var commits: [GitCommitID] = []
        var next = git_oid()
        while git_revwalk_next(&next, walk) == 0 {
            if commits.count == limit { return nil }
            commits.append(GitCommitID(next))
        }
        return commits
    }

    // MARK: - Internals

    /// The raw bytes of an object (called with the lock held).
    private func rawObject(_ id: GitCommitID) throws -> (type: git_object_t, payload: [UInt8]) {
        var database: OpaquePointer?
        try check(git_repository_odb(&database, handle)) { _ in GitError(.io, "cannot open the object database of \(displayName)") }
        defer { git_odb_free(database) }
        var object: OpaquePointer?
        var oid = id.oid
        try check(git_odb_read(&object, database, &oid)) { _ in GitError(.io, "cannot read object \(id.short): \(GitError.lastLibraryMessage)") }
        defer { git_odb_object_free(object) }
        let size = Int(git_odb_object_size(object))
        guard size <= Self.maximumSignedObjectSize else {
            throw GitError(.io, "object \(id.short) is \(size) bytes, more than a commit or tag can reasonably be")
        }
        guard size > 0, let data = git_odb_object_data(object) else { return (git_odb_object_type(object), []) }
        return (git_odb_object_type(object), [UInt8](UnsafeRawBufferPointer(start: data, count: size)))
    }

    private static func bytes(_ buffer: git_buf) -> [UInt8] {
        guard let pointer = buffer.ptr, buffer.size > 0 else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: pointer, count: buffer.size))
    }

    /// Splits a tag object at its signature, as Git's `parse_signed_buffer` does: the signature
    /// starts at the last line that opens one of the known armors and runs to the end.
    static func splitTrailingSignature(_ object: [UInt8]) -> (signature: [UInt8]?, payload: [UInt8]) {
        let armors = ["-----BEGIN PGP SIGNATURE-----", "-----BEGIN PGP MESSAGE-----", "-----BEGIN SSH SIGNATURE-----", "-----BEGIN SIGNED MESSAGE-----"]
            .map { Array($0.utf8) }
        var start: Int?
        var lineStart = 0
        while lineStart < object.count {
            if armors.contains(where: { object[lineStart...].starts(with: $0) }) { start = lineStart }
            guard let newline = object[lineStart...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            lineStart = newline + 1
        }
        guard let start else { return (nil, object) }
        return (Array(object[start...]), Array(object[..<start]))
    }

    /// The tagger line's time and email of a raw tag object.
    static func taggerTimeAndEmail(_ object: [UInt8]) -> (Date, String?) {
        let header = object.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).prefix { !$0.isEmpty }
        guard let line = header.first(where: { $0.starts(with: Array("tagger ".utf8)) }) else { return (Date(timeIntervalSince1970: 0), nil) }
        let text = String(decoding: line, as: UTF8.self)
        var email: String?
        if let open = text.lastIndex(of: "<"), let close = text.lastIndex(of: ">"), open < close {
            email = String(text[text.index(after: open)..<close])
        }
        let fields = text.split(separator: " ")
        let seconds = fields.count >= 2 ? TimeInterval(fields[fields.count - 2]) ?? 0 : 0
        return (Date(timeIntervalSince1970: seconds), email)
    }
}
