import ArgumentParser
import Foundation
import Logging
import SluiceCore
import SluiceGit
import SluiceKubernetes
import SluicePipeline
import SluiceRuntime
import SluiceServer
import SluiceSync

/// `sluice serve`: keep clusters in sync with Git.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Keep clusters in sync with a branch: poll, sync every new commit, resync periodically.",
        discussion: """
            Fetches --repo every --interval seconds and syncs every new commit of --revision (a \
            branch); every --resync-every rounds it syncs the current commit again, which heals \
            drift and restarts lost jobs. While Git is unreachable it keeps running the last good \
            revision and says so; a commit whose specs do not load is never applied. With \
            --verify-commits (or a trust root), a head whose signature does not verify is never \
            applied either: the status API, /metrics and the dashboard show it as unverified, and \
            it is notified once.

            On an edge host, serve only that host's cluster; its embedded runtime is supervised by \
            this process:
              sluice serve --repo https://git.example.com/flink-specs.git --revision main \\
                --path specs --cluster edge-munich-1 --git-token-env GIT_TOKEN
            """
    )

    @OptionGroup var source: SourceOptions
    @OptionGroup var clusters: ClusterOptions

    static let intervalRange: ClosedRange<Duration> = .seconds(1) ... .seconds(86_400)
    static let resyncRange = 1...10_000

    @Option(name: .long, help: ArgumentHelp(
        "Time between fetches: 30s, 5m, 1h (plain numbers are seconds); \(Bounded.describe(intervalRange)), default 30s.",
        valueName: "duration"), transform: Bounded.duration)
    var interval: Duration = .seconds(30)

    @Option(name: .long, help: ArgumentHelp(
        "Sync the current commit again every N rounds; \(resyncRange.lowerBound) to \(resyncRange.upperBound), default 10.",
        valueName: "n"))
    var resyncEvery: Int = 10

    static let maxConnectionsRange = 1...10_000
    static let headerTimeoutRange: ClosedRange<Duration> = .seconds(1) ... .seconds(300)

    @Option(name: .long, help: ArgumentHelp(
        "Connections the HTTP server holds open at once (more are closed at once); \(maxConnectionsRange.lowerBound) to \(maxConnectionsRange.upperBound), default \(ConnectionLimits.defaultMaxConnections).",
        valueName: "n"))
    var maxConnections: Int = ConnectionLimits.defaultMaxConnections

    @Option(name: .long, help: ArgumentHelp(
        "How long a client may take to send a request's headers; \(Bounded.describe(headerTimeoutRange)), default 10s.",
        valueName: "duration"), transform: Bounded.duration)
    var headerTimeout: Duration = .seconds(10)

    @OptionGroup var apply: ApplyOptions
    @OptionGroup var logging: LogOptions

    @Flag(name: .long, help: "Run one round and exit (0 when in sync).")
    var once = false

    @Option(name: .long, help: ArgumentHelp("Address and port of the status API, webhooks, /metrics and the dashboard (port 0 to 65535).", valueName: "host:port"))
    var listen: String = "127.0.0.1:8080"

    @Option(name: .long, help: ArgumentHelp("Environment variable with the webhook secret (GitHub/Gitea HMAC, GitLab token, generic HMAC).", valueName: "name"))
    var webhookSecretEnv: String = "SLUICE_WEBHOOK_SECRET"

    @Option(name: .long, help: ArgumentHelp("Environment variable with the operator API token (read and write).", valueName: "name"))
    var apiTokenEnv: String = "SLUICE_API_TOKEN"

    @Option(name: .long, help: ArgumentHelp("Environment variable with the read-only API token.", valueName: "name"))
    var apiReadTokenEnv: String = "SLUICE_API_READ_TOKEN"

    @Option(name: .long, help: ArgumentHelp(
        "Run several replicas: only the holder of this coordination.k8s.io Lease syncs (in-cluster credentials, else $KUBECONFIG); the others serve reads.",
        valueName: "namespace/name"))
    var leaderElection: String?

    static let shardsRange = 1...ShardMap.maxShards
    static let leaseDurationRange: ClosedRange<Duration> = .seconds(5) ... .seconds(300)

    @Option(name: .long, help: ArgumentHelp(
        "Share the clusters among the replicas in N shards, one Lease <name>-shard-<i> each in the --leader-election namespace (every replica runs the same N; a cluster's shard is a hash of its name); \(shardsRange.lowerBound) to \(shardsRange.upperBound), default 1 (one leader syncs all).",
        valueName: "n"))
    var shards: Int = 1

    @Option(name: .long, help: ArgumentHelp(
        "How long a leader or shard Lease lasts unless renewed; another replica takes over after it; \(Bounded.describe(leaseDurationRange)), default 15s.",
        valueName: "duration"), transform: Bounded.duration)
    var leaseDuration: Duration = .seconds(15)
    @Option(name: .long, help: ArgumentHelp("The spec repository's web page (https://github.com/org/specs): the status API and dashboard link each revision to <url>/commit/<sha>.", valueName: "url"))
    var forgeURL: String?

    @Option(name: .long, help: ArgumentHelp("Post a commit status for each synced commit to this GitHub repository (token from --github-token-env).", valueName: "owner/name"))
    var notifyGithub: String?

    @Option(name: .long, help: ArgumentHelp("Environment variable with the GitHub token for commit statuses.", valueName: "name"))
    var githubTokenEnv: String = "GITHUB_TOKEN"

    @Option(name: .long, help: ArgumentHelp("GitHub API base URL (GitHub Enterprise: https://host/api/v3).", valueName: "url"))
    var githubAPI: String = "https://api.github.com"

    @Option(name: .long, help: ArgumentHelp("Post a commit status for each synced commit to this GitLab project (id or url-encoded path).", valueName: "project"))
    var notifyGitlab: String?

    @Option(name: .long, help: ArgumentHelp("Environment variable with the GitLab token for commit statuses.", valueName: "name"))
    var gitlabTokenEnv: String = "GITLAB_TOKEN"

    @Option(name: .long, help: ArgumentHelp("GitLab API base URL.", valueName: "url"))
    var gitlabAPI: String = "https://gitlab.com/api/v4"

    @Option(name: .long, help: ArgumentHelp("POST a JSON summary of every sync here (signed X-Sluice-Signature with --notify-webhook-secret-env).", valueName: "url"))
    var notifyWebhook: String?

    @Option(name: .long, help: ArgumentHelp("Environment variable with the outgoing webhook's HMAC secret.", valueName: "name"))
    var notifyWebhookSecretEnv: String = "SLUICE_NOTIFY_SECRET"

    func validate() throws {
        try Bounded.check(interval, "--interval", Self.intervalRange)
        try Bounded.check(resyncEvery, "--resync-every", Self.resyncRange)
        try Bounded.check(maxConnections, "--max-connections", Self.maxConnectionsRange)
        try Bounded.check(headerTimeout, "--header-timeout", Self.headerTimeoutRange)
        try Bounded.checkListen(listen, "--listen")
        if let leaderElection { _ = try Bounded.namespacedName(leaderElection, "--leader-election") }
        try Bounded.check(shards, "--shards", Self.shardsRange)
        try Bounded.check(leaseDuration, "--lease-duration", Self.leaseDurationRange)
        try ShardOptions.check(shards: shards, leaderElection: leaderElection, once: once)
        if let forgeURL {
            guard forgeURL.count <= 2048, let url = URL(string: forgeURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil,
                  url.query == nil, url.fragment == nil else {
                throw ValidationError("--forge-url must be the repository's http(s) page, e.g. https://github.com/org/specs")
            }
        }
    }

    /// The notification targets the options ask for; a missing token is an error that names it.
    func notificationTargets() throws -> [Notifier.Target] {
        func token(_ variable: String, for what: String) throws -> String {
            guard let token = SecretReference.environment(variable).read() else {
                throw RuntimeCLIError(message: "\(what) needs a token in the environment variable \(variable), which is not set", hint: "export \(variable)=...")
            }
            return token
        }
        func url(_ text: String) throws -> URL {
            guard let url = URL(string: text), url.scheme != nil else { throw RuntimeCLIError(message: "\(text) is not a URL", hint: nil) }
            return url
        }
        var targets: [Notifier.Target] = []
        if let notifyGithub { targets.append(.github(api: try url(githubAPI), repository: notifyGithub, token: try token(githubTokenEnv, for: "--notify-github"))) }
        if let notifyGitlab { targets.append(.gitlab(api: try url(gitlabAPI), project: notifyGitlab, token: try token(gitlabTokenEnv, for: "--notify-gitlab"))) }
        if let notifyWebhook { targets.append(.webhook(url: try url(notifyWebhook), secret: SecretReference.environment(notifyWebhookSecretEnv).read())) }
        return targets
    }

    func run() async throws {
        // Before the service's threads start: they share one malloc arena (HeapTrim.limitArenas).
        HeapTrim.limitArenas(1)
        let repository: GitRepository
        do {
            repository = try source.openRepository(fetch: false)
        } catch {
            throw Console.fail(error)
        }
        clusters.allowHostPaths()
        let runtimes = RuntimeRegistry()
        let pipeline = clusters.pipeline(path: source.path, runtimes: runtimes)
        var options = apply.syncOptions(clusters)
        options.lockHolder = "sluice serve"
        options.lockWait = .zero
        let signatures: SignaturePolicy?
        do { signatures = try source.signatures.policy() } catch { throw Console.fail(error) }
        let metrics = SluiceMetrics()
        let journal = try? Journal(directory: clusters.stateDirectory)
        let secrets = serviceSecrets()
        let logger = logging.logger(secrets: secrets)
        let interrupt = SyncInterrupt()
        options.interrupt = interrupt
        let loop = ReconcileLoop(repository: repository, pipeline: pipeline,
                                 configuration: .init(revision: source.revision ?? "HEAD", interval: interval,
                                                      resyncEvery: resyncEvery, options: options, signatures: signatures)) { line in
            logger.warning("\(line)")
        }
        loop.tracker.use(logger, secrets: secrets)
        if once {
            let round = await loop.round(reason: .once)
            for runtime in runtimes.all { await runtime.supervisor.shutdown(leaveRunning: true) }
            if round.synced?.succeeded != true && round.outcome != .unchanged { throw ExitCode(ExitStatus.clusterFailed.rawValue) }
            return
        }
        await loop.observe { round in metrics.record(round, journal: journal) }
        // A full resync frees most of what it allocated, and glibc keeps it resident; it is given
        // back when a round leaves much of it idle (HeapTrim, docs/bench-notes-serve.md).
        let heap = HeapTrim()
        await loop.observe { _ in
            if let after = await onDedicatedThread("sluice-heap-trim", { heap.afterRound() }) {
                logger.debug("returned idle memory to the system",
                             metadata: ["residentMiB": "\(after.residentAnonymous >> 20)", "inUseMiB": "\(after.inUse >> 20)", "trims": "\(heap.trims)"])
            }
        }
        let targets: [Notifier.Target]
        do { targets = try notificationTargets() } catch { throw Console.fail(error) }
        if !targets.isEmpty {
            let notifier = Notifier(targets: targets)
            await loop.observe { round in
                do {
                    for delivery in try await notifier.notify(round) where !(200..<300).contains(delivery.status) {
                        logger.warning("notification to \(delivery.target) answered HTTP \(delivery.status)")
                    }
                } catch {
                    logger.error("notification failed: \(error)")
                }
            }
        }
        var elector: LeaderElector?
        var coordinator: ShardCoordinator?
        if let leaderElection, shards > 1 {
            coordinator = try await ShardOptions.coordinator(leaderElection, shards: shards, duration: leaseDuration, loop: loop) { line in
                logger.notice("\(line)")
            }
        } else if let leaderElection {
            let lease = try Bounded.namespacedName(leaderElection, "--leader-election")
            let connection = try (try? KubernetesConnection.inCluster()) ?? KubeConfig.load(paths: KubeConfig.defaultPaths()).connection(context: nil)
            let holder = ProcessInfo.processInfo.environment["POD_NAME"] ?? ProcessInfo.processInfo.hostName
            let made = LeaderElector(client: try KubernetesClient(connection: connection), namespace: lease.namespace, name: lease.name, holder: holder,
                                     duration: leaseDuration)
            await loop.gate { await made.isLeader }
            elector = made
        }
        let address = try Bounded.listenAddress(listen, "--listen")
        let secret = SecretReference.environment(webhookSecretEnv).read()
        let tokens = ServiceServer.Tokens(read: SecretReference.environment(apiReadTokenEnv).read(), operate: SecretReference.environment(apiTokenEnv).read())
        if secret == nil { logger.notice("webhooks are off: \(webhookSecretEnv) is not set") }
        if tokens.read == nil && tokens.operate == nil { logger.warning("the API refuses every request: neither \(apiTokenEnv) nor \(apiReadTokenEnv) is set") }
        let server = ServiceServer(loop: loop, journal: journal, metrics: metrics, webhooks: secret.map(WebhookVerifier.init(secret:)), tokens: tokens,
                                   limits: ConnectionLimits(maxConnections: maxConnections, headerTimeout: headerTimeout), forgeURL: forgeURL)
        logger.notice("serving on \(listen): /api/v1, /webhooks/<forge>, /metrics, / (dashboard)")
        await server.follow()
        let reconciling = Task { await loop.run() }
        let sharing = coordinator
        let background = Task {
            await withTaskGroup(of: Void.self) { group in
                if let elector { group.addTask { await elector.run() } }
                if let sharing { group.addTask { await sharing.run() } }
                group.addTask {
                    await LostJobRecovery.run({ runtimes.all }) { line in logger.warning("\(line)") }
                }
            }
        }
        // The HTTP server returns on SIGTERM/SIGINT (graceful shutdown). The round in progress
        // finishes its step; then the loop returns and the background work stops.
        try await server.run(host: address.host, port: address.port)
        let secondSignal = SecondSignal { name in
            guard interrupt.requested == nil else { return }
            interrupt.request("\(name) while stopping")
            logger.warning("\(name) again: stopping the round at the next safe point (before the next action, or now if a health gate waits); an action already started finishes, and the journal lets the next start resume")
        }
        defer { secondSignal.cancel() }
        if loop.tracker.progress != nil {
            logger.notice("stopping: letting the round in progress finish; a second SIGTERM or SIGINT stops it at the next safe point")
        } else {
            logger.notice("stopping: no round in progress")
        }
        await loop.stop()
        await reconciling.value
        // Nothing may still run when the process exits: work left on other threads races exit's
        // teardown of the libraries it uses (a serve stopped by SIGTERM once crashed in memcpy).
        await server.finish()
        background.cancel()
        await background.value
        await sharing?.releaseAll()
        for runtime in runtimes.all { await runtime.supervisor.shutdown(leaveRunning: true) }
    }

    /// Every secret this service reads from its environment, for the log to blank: API tokens,
    /// webhook secrets and notification tokens (cluster credentials are added as specs name them).
    func serviceSecrets() -> SecretList {
        let variables = [webhookSecretEnv, apiTokenEnv, apiReadTokenEnv, githubTokenEnv, gitlabTokenEnv, notifyWebhookSecretEnv]
            + (source.gitTokenEnv.map { [$0] } ?? [])
        return SecretList(variables.map { SecretReference.environment($0).read() })
    }
}
