import ArgumentParser
import Foundation
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
            // The output streams from here on; the progress line (standard error) makes way for it.
            progress.clear()
            Console.printDiagnostics(specs.warnings)
            try RenderOutput.stream(renderer, specs, format: output, to: StreamedOutput())
        } catch {
            progress.clear()
            throw Console.fail(error)
        }
    }
}

/// Standard output through a buffer that is written out whenever it fills, so a long render
/// leaves the process as it is produced instead of being held whole.
final class StreamedOutput {
    private var buffer: [UInt8] = []
    private let capacity = 1 << 16
    /// Whether anything reached standard output yet.
    private(set) var started = false

    init() { buffer.reserveCapacity(capacity) }

    func write(_ text: String) { write(bytes: text.utf8) }

    func write<Bytes: Sequence<UInt8>>(bytes: Bytes) {
        started = true
        buffer.append(contentsOf: bytes)
        if buffer.count >= capacity { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}

/// The printed forms of a desired state, written cluster by cluster as the renderer produces them.
enum RenderOutput {
    /// Renders and writes every cluster as soon as it is rendered; only the table, whose columns
    /// need every row, waits for the last cluster (and keeps its rows, not the objects).
    ///
    /// Nothing is written until the first cluster renders. When a later cluster fails, what was
    /// written stays incomplete on purpose (an unterminated JSON document, a YAML stream ending in
    /// a line no parser accepts), standard error says so, and the error is rethrown (exit 1).
    static func stream(_ renderer: Renderer, _ specs: SpecSet, format: RenderCommand.Format, to out: StreamedOutput) throws {
        var table = TableRows()
        var clusters = 0
        do {
            try renderer.renderEach(specs) { cluster in
                switch format {
                case .yaml:
                    if clusters == 0 { out.write(yamlHeader(specs.revision)) }
                    yaml(cluster, to: out)
                case .json:
                    json(cluster, first: clusters == 0, revision: specs.revision, to: out)
                case .table:
                    table.add(cluster)
                }
                clusters += 1
            }
        } catch {
            if out.started {
                if format == .yaml { out.write("# sluice render failed: this stream is incomplete\n--- [sluice render failed: incomplete\n") }
                out.flush()
                Console.err("render stopped after \(clusters) cluster\(clusters == 1 ? "" : "s"): the \(format.rawValue) written to standard output is incomplete and not valid \(format.rawValue.uppercased())\n")
            }
            throw error
        }
        switch format {
        case .yaml:
            if clusters == 0 { out.write(yamlHeader(specs.revision)) }
        case .json:
            out.write(clusters == 0 ? "{\n  \"revision\": \(JSON.encode(.string(specs.revision))),\n  \"clusters\": []\n}\n" : "\n  ]\n}\n")
        case .table:
            out.write(table.text(revision: specs.revision))
        }
        out.flush()
    }

    static func yamlHeader(_ revision: String) -> String { "# revision \(revision)\n" }

    /// A YAML stream: a comment per cluster, then its objects as documents.
    static func yaml(_ cluster: ClusterDesiredState, to out: StreamedOutput) {
        let spec = cluster.cluster
        out.write("# cluster \(spec.name) (tier \(spec.tier.rawValue), driver \(spec.driver.rawValue)): "
            + "\(cluster.objects.count) object\(cluster.objects.count == 1 ? "" : "s") from \(cluster.environments.isEmpty ? "no environment" : cluster.environments.joined(separator: ", "))\n")
        for object in cluster.objects {
            let document = YAML.emit(object.value)
            out.write("---\n")
            out.write(document)
            if !document.isEmpty, !document.hasSuffix("\n") { out.write("\n") }
        }
    }

    /// Per cluster, one line per object: what a person reads first.
    struct TableRows {
        var rows: [[String]] = [["CLUSTER", "TIER", "DRIVER", "ENVIRONMENT", "KIND", "NAMESPACE/NAME", "SPEC HASH"]]
        var objects = 0, clusters = 0

        mutating func add(_ cluster: ClusterDesiredState) {
            let spec = cluster.cluster
            clusters += 1
            objects += cluster.objects.count
            if cluster.objects.isEmpty {
                rows.append([spec.name, spec.tier.rawValue, spec.driver.rawValue, "-", "-", "(nothing placed)", "-"])
            }
            for object in cluster.objects {
                let id = object.identity
                rows.append([spec.name, spec.tier.rawValue, spec.driver.rawValue, object.environment, id.kind,
                             id.namespace.map { "\($0)/\(id.name)" } ?? id.name, String(object.specHash.prefix(12))])
            }
        }

        func text(revision: String) -> String {
            TextTable.render(rows) + "\nrevision \(revision): \(objects) objects on \(clusters) clusters\n"
        }
    }

    /// One cluster of the JSON document `{"revision": ..., "clusters": [...]}`, written exactly as
    /// `JSON.encode(document, pretty: true)` writes the whole document (the golden test pins it).
    static func json(_ cluster: ClusterDesiredState, first: Bool, revision: String, to out: StreamedOutput) {
        if first { out.write("{\n  \"revision\": \(JSON.encode(.string(revision))),\n  \"clusters\": [") }
        out.write(first ? "\n    {" : ",\n    {")
        let spec = cluster.cluster
        out.write("\n      \"name\": \(JSON.encode(.string(spec.name)))")
        out.write(",\n      \"tier\": \(JSON.encode(.string(spec.tier.rawValue)))")
        out.write(",\n      \"driver\": \(JSON.encode(.string(spec.driver.rawValue)))")
        out.write(",\n      \"environments\": ")
        indented(JSON.encodedBytes(.list(cluster.environments.map { .string($0) }), pretty: true), by: 6, to: out)
        out.write(",\n      \"objects\": ")
        if cluster.objects.isEmpty {
            out.write("[]")
        } else {
            out.write("[")
            for (index, object) in cluster.objects.enumerated() {
                out.write(index == 0 ? "\n        " : ",\n        ")
                indented(JSON.encodedBytes(object.value, pretty: true), by: 8, to: out)
            }
            out.write("\n      ]")
        }
        out.write("\n    }")
    }

    /// Pretty JSON written at a depth: every line after the first moves right by `indent` spaces.
    /// JSON strings hold no raw newline (it is escaped), so every newline byte is a line break.
    static func indented(_ bytes: [UInt8], by indent: Int, to out: StreamedOutput) {
        var shifted: [UInt8] = []
        shifted.reserveCapacity(bytes.count + bytes.count / 8)
        for byte in bytes {
            shifted.append(byte)
            if byte == UInt8(ascii: "\n") { shifted.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent)) }
        }
        out.write(bytes: shifted)
    }
}
