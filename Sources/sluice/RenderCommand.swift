import ArgumentParser
import SluiceCore
import SluiceReport
import SluiceSpec
import SluiceYAML

/// `sluice render`: print the desired state of each cluster.
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print the desired state of each cluster: placed, patched and stamped.",
        discussion: """
            Each Environment places the jobs its selector matches on the clusters its selector \
            matches, in its namespace, applies its patches (by kind, name, labels and cluster tier) \
            and stamps Sluice's ownership marks. Output is deterministic: clusters by name, objects \
            in apply order.

            Examples:
              sluice render --path specs-example
              sluice render --path specs-example --revision HEAD --cluster edge-munich-1
              sluice render --path specs-example --environment production --output json

            Exit codes: 0 rendered, 1 invalid specs, 2 usage or read error.
            """
    )

    @OptionGroup var source: SourceOptions

    @Option(name: .long, help: ArgumentHelp("Only this cluster (repeatable).", valueName: "name"))
    var cluster: [String] = []

    @Option(name: .long, help: ArgumentHelp("Only this environment (repeatable).", valueName: "name"))
    var environment: [String] = []

    @Option(name: .shortAndLong, help: "Output format: yaml (a multi-document stream), json, or table (a summary per cluster).")
    var output: Format = .yaml

    enum Format: String, ExpressibleByArgument, CaseIterable { case yaml, json, table }

    func run() throws {
        // A large render shows that it is working (only on a terminal, and only after a second).
        let progress = TerminalProgress()
        progress.show("loading and rendering \(source.path.isEmpty ? "the repository" : source.path)")
        defer { progress.clear() }
        do {
            let specs = try source.load()
            let renderer = Renderer(clusters: cluster.isEmpty ? nil : Set(cluster),
                                    environments: environment.isEmpty ? nil : Set(environment))
            let state = try renderer.render(specs)
            progress.clear()
            Console.printDiagnostics(specs.warnings)
            switch output {
            case .yaml: Console.out(RenderOutput.yaml(state))
            case .json: Console.out(RenderOutput.json(state))
            case .table: Console.out(RenderOutput.table(state))
            }
        } catch {
            progress.clear()
            throw Console.fail(error)
        }
    }
}

/// The printed forms of a `DesiredState`.
enum RenderOutput {
    /// A YAML stream: a comment per cluster, then its objects as documents.
    static func yaml(_ state: DesiredState) -> String {
        var out = "# revision \(state.revision)\n"
        for cluster in state.clusters {
            let spec = cluster.cluster
            out += "# cluster \(spec.name) (tier \(spec.tier.rawValue), driver \(spec.driver.rawValue)): "
            out += "\(cluster.objects.count) object\(cluster.objects.count == 1 ? "" : "s") from \(cluster.environments.isEmpty ? "no environment" : cluster.environments.joined(separator: ", "))\n"
            for object in cluster.objects {
                out += "---\n" + YAML.emit(object.value)
                if !out.hasSuffix("\n") { out += "\n" }
            }
        }
        return out
    }

    /// Per cluster, one line per object: what a person reads first.
    static func table(_ state: DesiredState) -> String {
        var rows: [[String]] = [["CLUSTER", "TIER", "DRIVER", "ENVIRONMENT", "KIND", "NAMESPACE/NAME", "SPEC HASH"]]
        for cluster in state.clusters {
            let spec = cluster.cluster
            if cluster.objects.isEmpty {
                rows.append([spec.name, spec.tier.rawValue, spec.driver.rawValue, "-", "-", "(nothing placed)", "-"])
            }
            for object in cluster.objects {
                let id = object.identity
                rows.append([spec.name, spec.tier.rawValue, spec.driver.rawValue, object.environment, id.kind,
                             id.namespace.map { "\($0)/\(id.name)" } ?? id.name, String(object.specHash.prefix(12))])
            }
        }
        return TextTable.render(rows) + "\nrevision \(state.revision): \(state.objectCount) objects on \(state.clusters.count) clusters\n"
    }

    static func json(_ state: DesiredState) -> String {
        let clusters: [Value] = state.clusters.map { cluster in
            [
                "name": .string(cluster.cluster.name),
                "tier": .string(cluster.cluster.tier.rawValue),
                "driver": .string(cluster.cluster.driver.rawValue),
                "environments": .list(cluster.environments.map { .string($0) }),
                "objects": .list(cluster.objects.map(\.value)),
            ]
        }
        return JSON.encode(["revision": .string(state.revision), "clusters": .list(clusters)], pretty: true) + "\n"
    }
}
