import ArgumentParser
import Foundation
import SluiceCore
import SluiceGit
import SluiceServer
import SluiceSync

/// `sluice serve`: keep clusters in sync with Git.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Keep clusters in sync with a branch: poll, sync every new commit, resync periodically.",
        discussion: """
            Fetches --repo every --interval seconds and syncs every new commit of --revision (a
            branch); every --resync-every rounds it syncs the current commit again, which heals
            drift and restarts lost jobs. While Git is unreachable it keeps running the last good
            revision and says so; a commit whose specs do not load is never applied.

            On an edge host, serve only that host's cluster; its embedded runtime is supervised by
            this process:
              sluice serve --repo https://git.example.com/flink-specs.git --revision main \\
                --path specs --cluster edge-munich-1 --git-token-env GIT_TOKEN
            """
    )

    @OptionGroup var source: SourceOptions
    @OptionGroup var clusters: ClusterOptions

    @Option(name: .long, help: ArgumentHelp("Seconds between fetches.", valueName: "seconds"))
    var interval: Int = 30

    @Option(name: .long, help: ArgumentHelp("Sync the current commit again every N rounds.", valueName: "n"))
    var resyncEvery: Int = 10

    @Flag(name: .long, inversion: .prefixedNo, help: "Roll back a job whose health gate fails (default: each environment's syncPolicy.autoRollback).")
    var autoRollback: Bool?

    @Option(name: .long, help: ArgumentHelp("Seconds a changed object may take to become healthy.", valueName: "seconds"))
    var healthTimeout: Int = 300

    @Flag(name: .long, help: "Run one round and exit (0 when in sync).")
    var once = false

    func run() async throws {
        let repository: GitRepository
        do {
            repository = try source.openRepository(fetch: false)
        } catch {
            throw Console.fail(error)
        }
        let runtimes = RuntimeRegistry()
        let pipeline = Pipeline(path: source.path, clusters: clusters.cluster.isEmpty ? nil : Set(clusters.cluster),
                                environments: clusters.environment.isEmpty ? nil : Set(clusters.environment),
                                policies: clusters.policies, stateDirectory: clusters.stateDirectory, runtimes: runtimes)
        let options = SyncOptions(prune: clusters.prune, allowMassPrune: clusters.allowMassPrune, autoRollback: autoRollback,
                                  healthTimeout: .seconds(healthTimeout))
        let loop = ReconcileLoop(repository: repository, pipeline: pipeline,
                                 configuration: .init(revision: source.revision ?? "HEAD", interval: .seconds(interval),
                                                      resyncEvery: resyncEvery, options: options)) { line in
            Console.err("\(Self.timestamp()) \(line)\n")
        }
        if once {
            let round = await loop.round()
            for runtime in runtimes.all { await runtime.supervisor.shutdown(leaveRunning: true) }
            if round.synced?.succeeded != true && !round.message.contains("in sync") { throw ExitCode(ExitStatus.clusterFailed.rawValue) }
            return
        }
        let recovery = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(5))
                for runtime in runtimes.all {
                    for line in await runtime.recoverLostJobs() { Console.err("\(Self.timestamp()) \(line)\n") }
                }
            }
        }
        await withTaskCancellationHandler {
            await loop.run()
        } onCancel: {
            recovery.cancel()
        }
    }

    static func timestamp() -> String { ISO8601DateFormatter().string(from: Date()) }
}
