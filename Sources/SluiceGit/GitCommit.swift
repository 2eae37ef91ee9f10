import CGit2
import Foundation

/// What Sluice records about a commit: who, when, and what it says.
public struct GitCommit: Sendable, Hashable, Codable {
    /// The full commit id.
    public var id: GitCommitID
    public var authorName: String
    public var authorEmail: String
    public var authorTime: Date
    public var committerTime: Date
    /// The first line of the message.
    public var subject: String
    public var message: String
    public var parents: [GitCommitID]

    /// The abbreviated id (12 hex digits), as shown in messages.
    public var shortID: String { id.short }

    init(id: GitCommitID, commit: OpaquePointer) {
        self.id = id
        let author = git_commit_author(commit)!.pointee
        authorName = String(cString: author.name)
        authorEmail = String(cString: author.email)
        authorTime = Date(timeIntervalSince1970: TimeInterval(author.when.time))
        committerTime = Date(timeIntervalSince1970: TimeInterval(git_commit_committer(commit)!.pointee.when.time))
        message = git_commit_message(commit).map { String(cString: $0) } ?? ""
        subject = message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        parents = (0..<git_commit_parentcount(commit)).compactMap { i in
            git_commit_parent_id(commit, i).map { GitCommitID($0.pointee) }
        }
    }
}
