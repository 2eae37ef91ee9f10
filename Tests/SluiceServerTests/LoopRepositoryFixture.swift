import Foundation
import SluiceGit
import SluicePipeline
import SluiceServer
import SluiceTestSupport

/// What a `ReconcileLoop` test starts from: a spec repository served by `git daemon`, a checkout
/// that commits and pushes to it holding one Environment, and the loop's cache and state
/// directories.
struct LoopRepositoryFixture {
    let daemon: GitDaemon
    let bare: URL
    let checkout: TemporaryDirectory
    let cache: TemporaryDirectory
    let state: TemporaryDirectory

    /// `jobsLabel` is the `app` label value the Environment `e` selects jobs by.
    init(prefix: String, jobsLabel: String) throws {
        daemon = try GitDaemon()
        bare = try daemon.createBareRepository("specs.git")
        checkout = try TemporaryDirectory(prefix: "\(prefix)-checkout")
        _ = try checkout.write("environments/e.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Environment
            metadata: {name: e}
            spec: {namespace: apps, clusters: {matchLabels: {site: none}}, jobs: {matchLabels: {app: \(jobsLabel)}}}
            """)
        _ = try git(["init", "-q", "-b", "main"], in: checkout.url)
        cache = try TemporaryDirectory(prefix: "\(prefix)-cache")
        state = try TemporaryDirectory(prefix: "\(prefix)-state")
    }

    /// Commits everything in the checkout, pushes it to `main` and returns the commit id.
    func commitAndPush(_ message: String) throws -> String {
        _ = try git(["add", "-A"], in: checkout.url)
        _ = try git(["-c", "user.name=t", "-c", "user.email=t@l", "commit", "-qm", message], in: checkout.url)
        _ = try git(["push", "-q", bare.path, "HEAD:main"], in: checkout.url)
        return try git(["rev-parse", "HEAD"], in: checkout.url).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A loop over the daemon's repository with its own cache and state.
    func loop(_ configuration: ReconcileLoop.Configuration, log: @escaping @Sendable (String) -> Void = { _ in }) throws -> ReconcileLoop {
        let repository = try GitRepository.cache(url: daemon.url("specs.git"), in: cache.url)
        return ReconcileLoop(repository: repository, pipeline: Pipeline(stateDirectory: state.url), configuration: configuration, log: log)
    }
}
