import ArgumentParser
import Foundation
import SluiceCore
import SluicePolicy
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

    var stateDirectory: URL { Self.stateDirectory(stateDir) }

    /// `--state-dir`, else `$SLUICE_STATE_DIR`, else `~/.local/state/sluice`.
    static func stateDirectory(_ option: String?) -> URL {
        if let option { return URL(fileURLWithPath: option) }
        if let env = ProcessInfo.processInfo.environment["SLUICE_STATE_DIR"], !env.isEmpty { return URL(fileURLWithPath: env) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/state/sluice")
    }
}

/// Everything `plan` and `sync` share: load, render, connect, read live state, plan, gate on policies.
struct SyncSession {
    let specs: SpecSet
    let state: DesiredState
    let syncer: Syncer
    let options: SyncOptions
    var plan: Plan

    init(source: SourceOptions, clusters: ClusterOptions, options: SyncOptions) async throws {
        let (tree, revision) = try source.openTree()
        specs = try SpecLoader().load(from: tree, path: source.path, revision: revision)
        Console.printDiagnostics(specs.warnings)
        state = try Renderer(clusters: clusters.cluster.isEmpty ? nil : Set(clusters.cluster),
                             environments: clusters.environment.isEmpty ? nil : Set(clusters.environment)).render(specs)
        let journal = try Journal(directory: clusters.stateDirectory)
        let factory = DriverFactory(stateDirectory: clusters.stateDirectory, repository: tree)
        let (drivers, unavailable) = factory.drivers(for: state.clusters.map(\.cluster), journal: journal)
        syncer = Syncer(drivers: drivers, unavailable: unavailable, journal: journal)
        self.options = options
        plan = await syncer.plan(state, environments: specs.environments, options: options)
        let hasPolicies = (try? tree.files(under: clusters.policies)) != nil
        let policySet = try PolicyLoader.load(from: tree, path: hasPolicies ? clusters.policies : nil, specs: specs)
        plan = Self.gate(plan, state: state, specs: specs, engine: try PolicyEngine(policySet, engine: CELExpressionEngine()))
    }

    /// Evaluates the policies with `oldObject` = the live object; a cluster with a Deny applies nothing.
    static func gate(_ plan: Plan, state: DesiredState, specs: SpecSet, engine: PolicyEngine) -> Plan {
        var gated = plan
        for index in gated.clusters.indices where gated.clusters[index].error == nil {
            let cluster = gated.clusters[index]
            let subjects = cluster.actions.compactMap { action -> PolicyEngine.Subject? in
                guard let desired = action.desired else { return nil }
                return PolicyEngine.Subject(object: desired.value, oldObject: action.live?.value, identity: desired.identity,
                                            source: desired.source, cluster: cluster.cluster,
                                            environment: specs.environment(named: desired.environment), environmentName: desired.environment)
            }
            let denials = engine.evaluate(subjects).filter(\.denies)
            guard !denials.isEmpty else { continue }
            gated.clusters[index].actions = []
            gated.clusters[index].error = "policies deny the change: " + denials.prefix(5).map { "\($0.policy) on \($0.object): \($0.message)" }.joined(separator: "; ")
                + (denials.count > 5 ? "; and \(denials.count - 5) more" : "")
        }
        return gated
    }
}
