import CGit2
import Foundation

/// Who wrote a commit and what it says, for the service's log and status.
public struct CommitInfo: Sendable, Hashable {
    public var id: GitCommitID
    public var author: String
    public var authorEmail: String?
    public var time: Date
    /// The first line of the message, at most 200 characters.
    public var subject: String
}

extension GitRepository {
    /// The author and subject of commit `id`.
    public func commitInfo(_ id: GitCommitID) throws -> CommitInfo {
        lock.lock()
        defer { lock.unlock() }
        return try withCommit(id) { commit in
            let author = git_commit_author(commit)!.pointee
            let summary = git_commit_summary(commit).map { String(cString: $0) } ?? ""
            return CommitInfo(id: id, author: author.name.map { String(cString: $0) } ?? "",
                              authorEmail: author.email.map { String(cString: $0) },
                              time: Date(timeIntervalSince1970: TimeInterval(author.when.time)),
                              subject: String(summary.prefix(200)))
        }
    }
}
