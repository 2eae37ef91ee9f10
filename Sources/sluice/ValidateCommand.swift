import ArgumentParser
import SluiceCore
import SluiceSpec
import SluiceYAML

/// `sluice validate`: load the spec set and report every problem with its file:line:column.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check that the specs load: YAML, kinds, names, CRD schemas, references.",
        discussion: """
            Every Cluster, Environment, FlinkDeployment, FlinkSessionJob, FlinkBlueGreenDeployment \
            and Kubernetes manifest under --path is read and checked; the Flink kinds against the \
            Flink operator's CRD schemas (v1beta1). Rendering is checked too: patches must apply and no two \
            sources may render to the same object on one cluster.

            Examples:
              sluice validate --path specs-example
              sluice validate --repo https://git.example.com/flink-specs.git \\
                --revision main
              sluice validate --repo . --revision HEAD~1 --output json

            Exit codes: 0 valid (warnings may be printed), 1 invalid, 2 usage or read error.
            """
    )

    @OptionGroup var source: SourceOptions

    @Option(name: .shortAndLong, help: "Output format: text (diagnostics on stderr) or json (a report on stdout).")
    var output: ReportFormat = .text

    func run() throws {
        let result: Result<(SpecSet, DesiredState), any Error> = Result {
            let specs = try source.load()
            return (specs, try Renderer().render(specs))
        }
        switch (result, output) {
        case let (.success((specs, state)), .text):
            Console.printDiagnostics(specs.warnings)
            Console.out("valid: \(specs.clusters.count) clusters, \(specs.environments.count) environments, \(specs.workloads.count) workloads, \(specs.policies.count) policies; \(state.objectCount) objects rendered at \(specs.revision)\n")
        case let (.success((specs, state)), .json):
            Console.out(JSON.encode(report(valid: true, revision: specs.revision, diagnostics: specs.warnings, specs: specs, rendered: state.objectCount), pretty: true) + "\n")
        case let (.failure(error as DiagnosticError), .json):
            Console.out(JSON.encode(report(valid: false, revision: nil, diagnostics: error.diagnostics, specs: nil, rendered: nil), pretty: true) + "\n")
            throw ExitCode(ExitStatus.invalidSpecs.rawValue)
        case let (.failure(error), _):
            throw Console.fail(error)
        }
    }

    private func report(valid: Bool, revision: String?, diagnostics: [Diagnostic], specs: SpecSet?, rendered: Int?) -> Value {
        var out: Value = ["valid": .bool(valid)]
        var map = out.mapValue!
        if let revision { map["revision"] = .string(revision) }
        if let specs {
            map["counts"] = [
                "clusters": .int(specs.clusters.count), "environments": .int(specs.environments.count),
                "workloads": .int(specs.workloads.count), "policies": .int(specs.policies.count),
                "renderedObjects": .int(rendered ?? 0),
            ]
        }
        map["diagnostics"] = .list(diagnostics.sorted().map(DiagnosticJSON.value))
        out = .map(map)
        return out
    }
}

/// The JSON shape of a diagnostic, shared by every command's `--output json`.
enum DiagnosticJSON {
    static func value(_ d: Diagnostic) -> Value {
        var m = Mapping()
        m["severity"] = .string(d.severity.rawValue)
        if let l = d.location {
            m["file"] = .string(l.file)
            m["line"] = .int(l.line)
            m["column"] = .int(l.column)
        }
        m["message"] = .string(d.message)
        if let hint = d.hint { m["hint"] = .string(hint) }
        return .map(m)
    }
}
