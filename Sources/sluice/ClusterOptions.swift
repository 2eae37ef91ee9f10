import ArgumentParser
import Foundation
import SluiceCore
import SluicePipeline
import SluiceSpec
import SluiceSync

/// Options shared by `plan` and `sync`: which clusters, where Sluice keeps its state, pruning.
struct ClusterOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Only this cluster (repeatable).", valueName: "name"))
    var cluster: [String] = []

    @Option(name: .long, help: ArgumentHelp("Only this environment (repeatable).", valueName: "name"))
    var environment: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "Sluice's state directory: journal, applied specs, jar cache (default: $SLUICE_STATE_DIR or ~/.local/state/sluice).",
        valueName: "dir"))
    var stateDir: String?

    @Option(name: .long, help: ArgumentHelp("The folder of the policies, read at the same revision as the specs.", valueName: "path"))
    var policies: String = "policies"

    @Flag(name: .long, inversion: .prefixedNo, help: "Delete owned objects removed from Git (default: each environment's syncPolicy.prune).")
    var prune: Bool?

    @Flag(name: .long, help: "Allow deleting more than half of a cluster's owned objects in one sync.")
    var allowMassPrune = false

    @Flag(name: .long, inversion: .prefixedNo, help: "Re-apply objects changed on the cluster behind Sluice's back (default: each environment's syncPolicy.selfHeal).")
    var selfHeal: Bool?

    @Option(name: .long, help: ArgumentHelp(
        "A host folder specs may name (local jars, caFile, kubeconfig and token files, runtime state and savepoint directories); repeatable, added to $SLUICE_ALLOWED_ROOTS (colon-separated). Sluice's state directory is always allowed; nothing else is unless listed.",
        valueName: "dir"))
    var allowedPathRoot: [String] = []

    static let parallelismRange = 1...256

    @Option(name: .long, help: ArgumentHelp(
        "How many clusters are read (planned) at once; each cluster's failure stays its own. \(parallelismRange.lowerBound) to \(parallelismRange.upperBound), default \(SyncOptions.defaultParallelism).",
        valueName: "n"))
    var parallelism: Int = SyncOptions.defaultParallelism

    func validate() throws {
        try Bounded.check(parallelism, "--parallelism", Self.parallelismRange)
    }

    var stateDirectory: URL { Self.stateDirectory(stateDir) }

    /// Adds the operator's roots (and the state directory) to the process's host path policy.
    func allowHostPaths() {
        for root in allowedPathRoot { HostPathPolicy.shared.allow(root) }
        HostPathPolicy.shared.allow(stateDirectory.path)
    }

    /// `--state-dir`, else `$SLUICE_STATE_DIR`, else `~/.local/state/sluice`.
    static func stateDirectory(_ option: String?) -> URL {
        StateDirectory.resolve(option)
    }
}

/// How changes are applied: shared by `sync` and `serve`.
struct ApplyOptions: ParsableArguments {
    @Flag(name: .long, inversion: .prefixedNo, help: "Roll back a job whose health gate fails (default: each environment's syncPolicy.autoRollback).")
    var autoRollback: Bool?

    static let healthTimeoutRange: ClosedRange<Duration> = .seconds(1) ... .seconds(86_400)

    @Option(name: .long, help: ArgumentHelp(
        "How long a changed object may take to become healthy: 5m, 90s (plain numbers are seconds); \(Bounded.describe(healthTimeoutRange)), default 5m.",
        valueName: "duration"), transform: Bounded.duration)
    var healthTimeout: Duration = .seconds(300)

    func validate() throws {
        try Bounded.check(healthTimeout, "--health-timeout", Self.healthTimeoutRange)
    }

    @Flag(name: .long, help: "Start a stateful job that ran before without state when none of its state can be found (otherwise the sync refuses). The plan says `state will be dropped`.")
    var allowStateLoss = false

    func syncOptions(_ clusters: ClusterOptions, dryRun: Bool = false) -> SyncOptions {
        var options = SyncOptions(prune: clusters.prune, allowMassPrune: clusters.allowMassPrune, selfHeal: clusters.selfHeal, autoRollback: autoRollback,
                                  healthTimeout: healthTimeout, dryRun: dryRun)
        options.allowStateLoss = allowStateLoss
        options.parallelism = clusters.parallelism
        return options
    }
}

extension ClusterOptions {
    /// The pipeline these options select: the spec root, the clusters and environments, the policies and the state directory.
    func pipeline(path: String, runtimes: RuntimeRegistry? = nil) -> Pipeline {
        Pipeline(path: path, clusters: cluster.isEmpty ? nil : Set(cluster), environments: environment.isEmpty ? nil : Set(environment),
                 policies: policies, stateDirectory: stateDirectory, runtimes: runtimes)
    }

    /// What `plan` and `sync` share: the revision the source options name, planned and gated, its
    /// spec warnings printed.
    func plan(_ source: SourceOptions, options: SyncOptions) async throws -> (pipeline: Pipeline, planned: Pipeline.Planned) {
        allowHostPaths()
        let (tree, revision) = try source.openTree()
        let pipeline = pipeline(path: source.path)
        let planned = try await pipeline.plan(tree, revision: revision, options: options)
        Console.printDiagnostics(planned.specs.warnings)
        return (pipeline, planned)
    }
}
