import ArgumentParser
import Foundation
import SluiceCore
import SluiceGit
import SluiceSpec

/// Where the specs come from: a directory, a local Git repository at a revision, or a remote one.
struct SourceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A directory, a local Git repository, or a Git URL (file://, git://, https://, ssh://).",
        valueName: "dir|url"))
    var repo: String = "."

    @Option(name: .long, help: ArgumentHelp(
        "A branch, tag or commit to read the specs at, straight from Git without a checkout. Without it a directory is read as it is on disk; a URL is read at its HEAD.",
        valueName: "rev"))
    var revision: String?

    @Option(name: .long, help: ArgumentHelp("The folder of the spec root inside the repository.", valueName: "path"))
    var path: String = ""

    @Option(name: .long, help: ArgumentHelp(
        "Where remote repositories are cached and fetched incrementally (default: $SLUICE_CACHE_DIR or ~/.cache/sluice/git).",
        valueName: "dir"))
    var cacheDir: String?

    @Option(name: .long, help: ArgumentHelp(
        "Name of an environment variable holding an HTTPS token for --repo (never pass the token itself).",
        valueName: "name"))
    var gitTokenEnv: String?

    @Option(name: .long, help: ArgumentHelp("A private SSH key file for ssh:// repositories.", valueName: "file"))
    var gitSSHKey: String?

    @Option(name: .long, help: ArgumentHelp(
        "A known_hosts file that pins the SSH server's host key (default: ~/.ssh/known_hosts; an unknown key is refused).",
        valueName: "file"))
    var gitKnownHosts: String?

    static let connectTimeoutRange: ClosedRange<Duration> = .seconds(1) ... .seconds(600)
    static let stallTimeoutRange: ClosedRange<Duration> = .seconds(1) ... .seconds(3600)
    static let fetchTimeoutRange: ClosedRange<Duration> = .seconds(1) ... .seconds(86_400)

    @Option(name: .long, help: ArgumentHelp(
        "How long to wait for the Git server to accept the connection; \(Bounded.describe(connectTimeoutRange)), default \(DurationText.format(GitTimeouts.defaultConnect)).",
        valueName: "duration"), transform: Bounded.duration)
    var gitConnectTimeout: Duration = GitTimeouts.defaultConnect

    @Option(name: .long, help: ArgumentHelp(
        "Give up when the Git server sends nothing for this long; \(Bounded.describe(stallTimeoutRange)), default \(DurationText.format(GitTimeouts.defaultStall)).",
        valueName: "duration"), transform: Bounded.duration)
    var gitStallTimeout: Duration = GitTimeouts.defaultStall

    @Option(name: .long, help: ArgumentHelp(
        "The longest a whole fetch may take (a round of serve keeps the last good revision when it runs out); \(Bounded.describe(fetchTimeoutRange)), default \(DurationText.format(GitTimeouts.defaultFetch)).",
        valueName: "duration"), transform: Bounded.duration)
    var gitTimeout: Duration = GitTimeouts.defaultFetch

    func validate() throws {
        try Bounded.check(gitConnectTimeout, "--git-connect-timeout", Self.connectTimeoutRange)
        try Bounded.check(gitStallTimeout, "--git-stall-timeout", Self.stallTimeoutRange)
        try Bounded.check(gitTimeout, "--git-timeout", Self.fetchTimeoutRange)
    }
    @OptionGroup(title: "Signature verification") var signatures: SignatureOptions

    var isRemote: Bool { repo.contains("://") || (repo.contains("@") && repo.contains(":")) }

    /// Opens the tree to load specs from and names the revision it stands for.
    func openTree() throws -> (tree: any SourceTree, revision: String) {
        let policy = try signatures.policy()
        if isRemote || revision != nil {
            let repository = try openRepository()
            let commit = try repository.resolve(revision ?? "HEAD")
            if let policy { try verifySignatures(policy, revision: revision ?? "HEAD", commit: commit, in: repository) }
            return (try repository.tree(at: commit), commit.description)
        }
        if policy != nil {
            throw SignatureConfigurationError("--verify-commits checks commits, and \(repo) is read as files on disk",
                                              hint: "pass --revision (e.g. --revision HEAD) to read a signed commit")
        }
        return (DirectoryTree(path: repo), "working-tree")
    }

    /// Verifies what `revision` brings (see `SignaturePolicy`) and says on stderr who signed it.
    func verifySignatures(_ policy: SignaturePolicy, revision: String, commit: GitCommitID, in repository: GitRepository) throws {
        let verified = try policy.verify(revision: revision, head: commit, in: repository)
        for signature in verified.prefix(2) {
            Console.err("verified: \(signature.object) signed by \(signature.signer) (\(signature.format.rawValue) key \(signature.fingerprint))\n")
        }
        if verified.count > 2 { Console.err("verified: \(verified.count - 2) more commits\n") }
    }

    /// The repository behind --repo: a local one opened in place, or a remote one cached and fetched.
    func openRepository(fetch: Bool = true) throws -> GitRepository {
        if isRemote {
            let cache = cacheDir ?? ProcessInfo.processInfo.environment["SLUICE_CACHE_DIR"]
                ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/sluice/git").path
            var credentials = GitCredentials()
            if let gitTokenEnv { credentials.token = .environment(gitTokenEnv) }
            if let gitSSHKey { credentials.sshKey = GitCredentials.SSHKey(privateKeyPath: gitSSHKey) }
            credentials.knownHostsFile = gitKnownHosts
            let timeouts = GitTimeouts(connect: gitConnectTimeout, stall: gitStallTimeout, fetch: gitTimeout)
            return try GitRepository.cache(url: repo, in: URL(fileURLWithPath: cache), credentials: credentials, timeouts: timeouts, fetch: fetch)
        }
        return try GitRepository.open(path: repo)
    }

    /// Loads and validates the spec set.
    func load() throws -> SpecSet {
        let (tree, revision) = try openTree()
        return try SpecLoader().load(from: tree, path: path, revision: revision)
    }
}

/// Output formats of commands that print data.
enum DataFormat: String, ExpressibleByArgument, CaseIterable {
    case yaml, json
}

/// Output formats of commands that print findings.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
