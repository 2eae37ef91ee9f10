import SluiceCore
import SluiceYAML

/// Reads typed fields out of a `Value` map and records a located diagnostic for every
/// field that is missing, of the wrong type, or not allowed, instead of stopping at the first.
///
/// Sluice's own kinds (`Cluster`, `Environment`) and policies are decoded with it, so their errors read like
/// the schema errors of the Flink kinds: `path: what is wrong`, at the offending node.
public struct FieldReader {
    public private(set) var diagnostics: [Diagnostic] = []
    /// Where to point when a node has no location of its own (values built in code).
    public let fallback: SourceLocation

    public init(fallback: SourceLocation) { self.fallback = fallback }

    public mutating func error(_ node: Value?, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(.error, at: node?.location ?? fallback, message, hint: hint))
    }

    public mutating func warning(_ node: Value?, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(.warning, at: node?.location ?? fallback, message, hint: hint))
    }

    /// The map at `value`; records an error when it is present but not a map.
    public mutating func map(_ value: Value?, _ path: String, required: Bool = false, parent: Value? = nil) -> Mapping? {
        guard let value, !value.isNull else {
            if required { error(parent, "\(path): required field is missing") }
            return nil
        }
        guard let map = value.mapValue else {
            error(value, "\(path): expected a map, found \(value.typeName)")
            return nil
        }
        return map
    }

    public mutating func string(_ value: Value?, _ path: String, required: Bool = false, parent: Value? = nil) -> String? {
        guard let value, !value.isNull else {
            if required { error(parent, "\(path): required field is missing") }
            return nil
        }
        guard let s = value.stringValue else {
            error(value, "\(path): expected a string, found \(value.typeName)",
                  hint: "quote the value if it is meant as text")
            return nil
        }
        return s
    }

    public mutating func int(_ value: Value?, _ path: String, minimum: Int? = nil) -> Int? {
        guard let value, !value.isNull else { return nil }
        guard let i = value.intValue else {
            error(value, "\(path): expected an integer, found \(value.typeName)")
            return nil
        }
        if let minimum, i < minimum {
            error(value, "\(path): must be at least \(minimum), found \(i)")
            return nil
        }
        return i
    }

    public mutating func bool(_ value: Value?, _ path: String) -> Bool? {
        guard let value, !value.isNull else { return nil }
        guard let b = value.boolValue else {
            error(value, "\(path): expected true or false, found \(value.typeName)")
            return nil
        }
        return b
    }

    /// A string that must be one of `allowed`.
    public mutating func oneOf<T: RawRepresentable & CaseIterable>(
        _ value: Value?, _ path: String, _ type: T.Type, required: Bool = false, parent: Value? = nil
    ) -> T? where T.RawValue == String {
        guard let s = string(value, path, required: required, parent: parent) else { return nil }
        if let t = T(rawValue: s) { return t }
        let options = T.allCases.map(\.rawValue).joined(separator: ", ")
        error(value, "\(path): unsupported value \"\(s)\"; expected one of: \(options)")
        return nil
    }

    /// A map of strings to strings (labels, annotations).
    public mutating func stringMap(_ value: Value?, _ path: String) -> [String: String] {
        guard let map = map(value, path) else { return [:] }
        var out: [String: String] = [:]
        for entry in map {
            if let s = string(entry.value, "\(path).\(entry.key)") { out[entry.key] = s }
        }
        return out
    }

    /// Records an error for every key of `map` that is not in `known`, with a suggestion.
    public mutating func rejectUnknownKeys(_ map: Mapping, _ path: String, known: [String]) {
        for entry in map where !known.contains(entry.key) {
            let node = Value(.string(entry.key), at: entry.keyOrValueLocation)
            let suggestion = Suggestion.closest(to: entry.key, in: known)
            error(node, "\(path.isEmpty ? "" : "\(path).")\(entry.key): unknown field \"\(entry.key)\"",
                  hint: suggestion.map { "did you mean \"\($0)\"?" } ?? "known fields: \(known.joined(separator: ", "))")
        }
    }
}
