import SluiceCore

/// Reading and writing YAML as Kubernetes tooling does (YAML 1.1 scalars, as sigs.k8s.io/yaml).
public enum YAML {
    /// Parses every document in a YAML stream.
    ///
    /// Empty documents (a trailing `---`, or a document of comments only) are skipped. Each
    /// node carries its location in `file`. Throws `YAMLError` for syntax errors, duplicate
    /// keys, unknown aliases, values that do not fit their tag, and input beyond `limits`.
    /// Map keys and long string values are read through an interner, so a string repeated
    /// across maps and files is stored once: `keys` when given, otherwise one the process keeps
    /// for its parses (bounded: `ParseScratch.keysKept` keys of at most
    /// `KeyInterner.longestStored` bytes).
    public static func parseDocuments(_ bytes: [UInt8], file: String, limits: YAMLLimits = .default,
                                      keys: KeyInterner? = nil) throws -> [Value] {
        guard bytes.count <= limits.maxBytes else {
            throw YAMLError(
                at: SourceLocation(file: file, line: 1, column: 1),
                "the file is \(bytes.count) bytes, more than the limit of \(limits.maxBytes)",
                hint: "split it into smaller files")
        }
        var builder = YAMLTreeBuilder(file: file, limits: limits, keys: keys)
        try bytes.withUnsafeBufferPointer { try builder.run($0) }
        return builder.documents
    }

    /// Parses every document in YAML text; see `parseDocuments(_:file:limits:)`.
    public static func parse(_ text: String, file: String = "<input>", limits: YAMLLimits = .default) throws -> [Value] {
        try parseDocuments(Array(text.utf8), file: file, limits: limits)
    }

    /// Parses a stream that must hold exactly one (non-empty) document; `keys` as in
    /// `parseDocuments(_:file:limits:keys:)`.
    public static func parseDocument(_ bytes: [UInt8], file: String, limits: YAMLLimits = .default,
                                     keys: KeyInterner? = nil) throws -> Value {
        let documents = try parseDocuments(bytes, file: file, limits: limits, keys: keys)
        guard documents.count == 1 else {
            let location = documents.count > 1 ? documents[1].location : SourceLocation(file: file, line: 1, column: 1)
            throw YAMLError(
                at: location, "expected exactly one YAML document, found \(documents.count)",
                hint: documents.isEmpty ? "the file is empty or has only comments" : "put each document in its own file")
        }
        return documents[0]
    }

    /// Parses text that must hold exactly one (non-empty) document.
    public static func parseDocument(_ text: String, file: String = "<input>", limits: YAMLLimits = .default) throws -> Value {
        try parseDocument(Array(text.utf8), file: file, limits: limits)
    }

    /// Writes one value as a YAML document in block style with 2-space indentation, keeping
    /// key order. The output ends with a newline and parses back to an equal value.
    public static func emit(_ value: Value) -> String {
        var emitter = YAMLEmitter()
        emitter.document(value)
        return emitter.output
    }

    /// Writes several documents, separated by `---` lines.
    public static func emit(documents: [Value]) -> String {
        var emitter = YAMLEmitter()
        for (i, document) in documents.enumerated() {
            if i > 0 { emitter.output += "---\n" }
            emitter.document(document)
        }
        return emitter.output
    }
}
