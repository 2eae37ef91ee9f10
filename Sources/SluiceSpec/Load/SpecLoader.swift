#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import SluiceCore
import SluiceYAML

/// Reads the YAML documents of a tree and turns them into a `SpecSet`.
public struct SpecLoader: Sendable {
    /// Extensions of the files that are read; everything else is ignored.
    public static let extensions = [".yaml", ".yml"]

    public var yamlLimits: YAMLLimits
    /// Files parsed by earlier loads of the same repository, reused where path and content match.
    public var parsedFiles: ParsedFiles?

    public init(yamlLimits: YAMLLimits = .default, parsedFiles: ParsedFiles? = nil) {
        self.yamlLimits = yamlLimits
        self.parsedFiles = parsedFiles
    }

    /// Loads and validates every spec document under `path` of `tree`.
    ///
    /// - Throws: `DiagnosticError` with every error found (file:line:column each), or the
    ///   tree's own error when files cannot be listed or read.
    public func load(from tree: any SourceTree, path: String = "", revision: String) throws -> SpecSet {
        let root = path.trimmingSlashes
        let files = try tree.files(under: root).filter { file in
            Self.extensions.contains { file.hasSuffix($0) }
        }
        var diagnostics: [Diagnostic] = []
        for entry in tree.skippedEntries(under: root) {
            diagnostics.append(Diagnostic(.warning, at: SourceLocation(file: entry.path, line: 1, column: 1),
                                          "skipped: \(entry.reason)", hint: "specs are regular files inside the repository"))
        }
        var objects: [SpecObject] = []
        for parsed in try parseAll(files, from: tree) {
            switch parsed {
            case .documents(let file, let documents):
                for document in documents {
                    if let object = Self.object(from: document, file: file, &diagnostics) { objects.append(object) }
                }
            case .failed(let diagnostic):
                diagnostics.append(diagnostic)
            }
        }
        if objects.isEmpty, diagnostics.isEmpty {
            diagnostics.append(Diagnostic(.error, at: nil,
                "no spec documents found under \(root.isEmpty ? "the root" : root) of \(tree.displayName)",
                hint: "point --path at the folder that holds clusters/, environments/ and jobs/"))
        }
        // A tree that cannot name its files' content (a working tree) shares no parse with another
        // load, so the checks of its documents are not kept either.
        let sharesParses = files.first.map { tree.contentIdentity(of: $0) != nil } ?? false
        var set = SpecValidator(parsedFiles: sharesParses ? parsedFiles : nil).validate(objects, revision: revision, diagnostics: &diagnostics)
        if diagnostics.contains(where: { $0.severity == .error }) || set == nil {
            throw DiagnosticError(diagnostics)
        }
        set!.warnings = diagnostics.sorted()
        set!.files = Set(files)
        return set!
    }

    /// One file: its documents, or why it cannot be read.
    private enum Parsed: Sendable {
        case documents(file: String, [Value])
        case failed(Diagnostic)
    }

    /// Every file read and parsed, in `files` order. The files are parsed on all cores in
    /// contiguous chunks (each parse shares long keys with the parses before it through the
    /// parser's pooled interner); an error that is not a `SluiceError` (the tree cannot be read at
    /// all) is thrown, the first one in file order. A file found in `parsedFiles` is not read.
    private func parseAll(_ files: [String], from tree: any SourceTree) throws -> [Parsed] {
        let limits = yamlLimits
        let parsedFiles = self.parsedFiles
        let chunkCount = Swift.min(files.count, ProcessInfo.processInfo.activeProcessorCount * 4)
        let chunks = (0..<chunkCount).map { files.count * $0 / chunkCount ..< files.count * ($0 + 1) / chunkCount }
        return try chunks.concurrentMap { range -> [Parsed] in
            try files[range].map { file -> Parsed in
                let content = parsedFiles == nil ? nil : tree.contentIdentity(of: file)
                if let content, let documents = parsedFiles?.documents(of: file, content: content) {
                    return .documents(file: file, documents)
                }
                do {
                    // Refused before reading when too large (a stat, or the blob's header).
                    let bytes = try tree.read(file, maxBytes: limits.maxBytes)
                    let documents = try YAML.parseDocuments(bytes, file: file, limits: limits)
                    // Validation needs the CRD schema of every Flink kind: compiled meanwhile.
                    for document in documents { FlinkSchemas.prepare(forDocument: document) }
                    if let content { parsedFiles?.keep(documents, of: file, content: content) }
                    return .documents(file: file, documents)
                } catch let error as any SluiceError {
                    return .failed(Diagnostic(.error, at: error.location ?? SourceLocation(file: file, line: 1, column: 1),
                                              error.message, hint: error.hint))
                }
            }
        }.flatMap { $0 }
    }

    /// Checks the envelope every document needs (a map with apiVersion, kind and metadata.name).
    public static func object(from document: Value, file: String, _ diagnostics: inout [Diagnostic]) -> SpecObject? {
        let start = document.location ?? SourceLocation(file: file, line: 1, column: 1)
        var reader = FieldReader(fallback: start)
        defer { diagnostics += reader.diagnostics }
        guard document.mapValue != nil else {
            reader.error(document, "a spec document must be a map with apiVersion, kind and metadata, found \(document.typeName)")
            return nil
        }
        let apiVersion = reader.string(document["apiVersion"], "apiVersion", required: true, parent: document)
        let kind = reader.string(document["kind"], "kind", required: true, parent: document)
        let metadata = document["metadata"]
        _ = reader.map(metadata, "metadata", required: true, parent: document)
        let name = reader.string(metadata?["name"], "metadata.name", required: metadata != nil, parent: metadata)
        let namespace = reader.string(metadata?["namespace"], "metadata.namespace")
        guard let apiVersion, let kind, let name else { return nil }
        return SpecObject(value: document, apiVersion: apiVersion, kind: kind, name: name, namespace: namespace, location: start)
    }
}

extension String {
    var trimmingSlashes: String {
        var s = Substring(self)
        while s.hasPrefix("/") || s.hasPrefix("./") { s = s.hasPrefix("./") ? s.dropFirst(2) : s.dropFirst() }
        while s.hasSuffix("/") { s = s.dropLast() }
        return s == "." ? "" : String(s)
    }
}
