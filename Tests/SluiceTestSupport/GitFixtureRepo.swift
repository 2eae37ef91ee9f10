import Foundation

/// A working repository in a temporary directory, committed with the real `git` command line.
public final class GitFixtureRepo: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public var url: URL { directory.url }
    public var path: String { directory.path }

    public init() throws {
        directory = try TemporaryDirectory(prefix: "sluice-repo")
        try git(["init", "-q"], in: directory.url)
    }

    /// Writes `files` (path → contents), deletes `deleting`, commits everything, and returns the commit id.
    @discardableResult
    public func commit(_ message: String, files: [String: String] = [:], deleting: [String] = []) throws -> String {
        for (path, text) in files { try directory.write(path, text) }
        for path in deleting { try FileManager.default.removeItem(at: url.appendingPathComponent(path)) }
        try git(["add", "-A"], in: url)
        try git(["commit", "-q", "--allow-empty", "-m", message], in: url)
        return try head()
    }

    /// The commit id of `HEAD`.
    public func head() throws -> String {
        try git(["rev-parse", "HEAD"], in: url).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Tags `HEAD`, lightweight or annotated.
    public func tag(_ name: String, annotated: Bool = false) throws {
        try git(annotated ? ["tag", "-a", name, "-m", "release \(name)"] : ["tag", name], in: url)
    }

    /// Pushes every branch and tag to `remote` (a path or URL), replacing what is there.
    public func push(to remote: String) throws {
        try git(["push", "-q", "--force", "--prune", remote, "refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"], in: url)
    }
}
