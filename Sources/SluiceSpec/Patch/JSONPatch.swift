import SluiceCore
import SluiceYAML

/// A JSON Patch (RFC 6902): a list of `add`, `remove`, `replace`, `move`, `copy` and `test`
/// operations addressed by JSON Pointers, applied in order.
///
/// Applying is atomic: `apply(to:)` either returns the fully patched document or throws, and the
/// caller's document is never half-changed (it is a value). Errors name the operation's index, its
/// source location, the path and the reason.
public struct JSONPatch: Sendable {
    /// One operation of a patch.
    public struct Operation: Sendable {
        /// The six operations of RFC 6902.
        public enum Kind: String, Sendable, Hashable, CaseIterable {
            case add, remove, replace, move, copy, test
        }

        /// Which operation this is (`op` member).
        public var kind: Kind
        /// The target location (`path` member).
        public var path: JSONPointer
        /// The source location of `move` and `copy` (`from` member).
        public var from: JSONPointer?
        /// The value of `add`, `replace` and `test` (`value` member).
        public var value: Value?
        /// Where the operation was written, for error messages.
        public var location: SourceLocation?
        /// Where its `path` was written: the key location of members it adds.
        public var pathLocation: SourceLocation?

        /// An operation built in code; `value` is needed by add, replace and test, `from` by move and copy.
        public init(
            _ kind: Kind, path: JSONPointer, from: JSONPointer? = nil, value: Value? = nil,
            location: SourceLocation? = nil, pathLocation: SourceLocation? = nil
        ) {
            self.kind = kind
            self.path = path
            self.from = from
            self.value = value
            self.location = location
            self.pathLocation = pathLocation
        }

        /// A short label for messages, e.g. `replace /spec/job/parallelism`.
        public var summary: String {
            if let from { return "\(kind.rawValue) \(from) to \(path)" }
            return "\(kind.rawValue) \(path.description.isEmpty ? "\"\"" : path.description)"
        }
    }

    /// The operations, in the order they are applied.
    public var operations: [Operation]

    /// A patch of already built operations.
    public init(_ operations: [Operation]) { self.operations = operations }

    /// Reads a patch from its JSON/YAML form: a list of maps with `op`, `path`, and `value` or
    /// `from` as the operation needs. Members RFC 6902 does not define are ignored, as it requires.
    /// Throws `JSONPatchError` for the first malformed operation.
    public init(_ value: Value) throws {
        guard let list = value.listValue else {
            throw JSONPatchError(operationIndex: nil, at: value.location,
                                 "a JSON patch must be a list of operations, found \(value.typeName)")
        }
        operations = try list.enumerated().map { try Self.operation($1, index: $0) }
    }

    private static func operation(_ item: Value, index: Int) throws -> Operation {
        func fail(_ node: Value?, _ reason: String) -> JSONPatchError {
            JSONPatchError(operationIndex: index, at: node?.location ?? item.location, reason)
        }
        guard item.mapValue != nil else {
            throw fail(item, "expected a map with op and path, found \(item.typeName)")
        }
        guard let opNode = item["op"] else { throw fail(item, "missing \"op\"") }
        guard let name = opNode.stringValue, let kind = Operation.Kind(rawValue: name) else {
            let written = opNode.stringValue.map { "\"\($0)\"" } ?? opNode.typeName
            throw fail(opNode, "unsupported op \(written); expected one of: "
                + Operation.Kind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        func pointer(_ member: String) throws -> JSONPointer {
            guard let node = item[member] else { throw fail(item, "\(name) needs \"\(member)\"") }
            guard let text = node.stringValue else {
                throw fail(node, "\"\(member)\" must be a string (a JSON pointer), found \(node.typeName)")
            }
            do { return try JSONPointer(parsing: text) } catch let error as JSONPointerSyntaxError {
                throw fail(node, error.message)
            }
        }
        let path = try pointer("path")
        var op = Operation(kind, path: path, location: item.location, pathLocation: item["path"]?.location)
        switch kind {
        case .add, .replace, .test:
            guard let value = item["value"] else { throw fail(item, "\(name) needs \"value\"") }
            op.value = value
        case .move, .copy:
            op.from = try pointer("from")
        case .remove:
            break
        }
        return op
    }

    /// The document with every operation applied in order; throws `JSONPatchError` naming the first
    /// operation that cannot be applied (the document passed in is unchanged either way).
    public func apply(to document: Value) throws -> Value {
        var result = document
        for (index, op) in operations.enumerated() {
            do {
                try Self.apply(op, to: &result)
            } catch let failure as PatchFailure {
                throw JSONPatchError(operationIndex: index, at: op.location,
                                     "\(op.summary): \(failure.reason)", hint: failure.hint)
            }
        }
        return result
    }

    // MARK: - Operations

    private static func apply(_ op: Operation, to document: inout Value) throws {
        switch op.kind {
        case .add:
            try add(op.value ?? .null, at: op.path, keyLocation: op.pathLocation, to: &document)
        case .remove:
            _ = try remove(at: op.path, from: &document)
        case .replace:
            let value = op.value ?? .null
            guard op.path.resolve(in: document) != nil else { throw PatchFailure.missing(op.path) }
            if op.path.tokens.isEmpty { document = value; return }
            try withParent(of: op.path, in: &document) { parent, token in
                switch parent.kind {
                case .map(var m):
                    m[token] = value
                    parent.kind = .map(m)
                case .list(var l):
                    l[JSONPointer.index(token)!] = value  // resolve() above proved the index exists
                    parent.kind = .list(l)
                default:
                    throw PatchFailure.missing(op.path)
                }
            }
        case .move:
            guard let from = op.from else { throw PatchFailure("move needs \"from\"") }
            if from == op.path { guard from.resolve(in: document) != nil else { throw PatchFailure.missing(from) }; return }
            if from.isProperPrefix(of: op.path) {
                throw PatchFailure("cannot move \(from) into its own child \(op.path)")
            }
            let moved = try remove(at: from, from: &document)
            try add(moved, at: op.path, keyLocation: op.pathLocation, to: &document)
        case .copy:
            guard let from = op.from else { throw PatchFailure("copy needs \"from\"") }
            guard let copied = from.resolve(in: document) else { throw PatchFailure.missing(from) }
            try add(copied, at: op.path, keyLocation: op.pathLocation, to: &document)
        case .test:
            let expected = op.value ?? .null
            guard let found = op.path.resolve(in: document) else { throw PatchFailure.missing(op.path) }
            if !jsonEqual(expected, found) {
                throw PatchFailure("test failed: expected \(brief(expected)), found \(brief(found))",
                                   hint: "the document is not in the state the patch was written for")
            }
        }
    }

    private static func add(_ value: Value, at path: JSONPointer, keyLocation: SourceLocation?, to document: inout Value) throws {
        if path.tokens.isEmpty { document = value; return }
        try withParent(of: path, in: &document) { parent, token in
            switch parent.kind {
            case .map(var m):
                if m[token] != nil {
                    m[token] = value
                } else {
                    m.append(Mapping.Entry(key: token, value: value, keyLocation: keyLocation))
                }
                parent.kind = .map(m)
            case .list(var l):
                if token == "-" {
                    l.append(value)
                } else if let index = JSONPointer.index(token), index <= l.count {
                    l.insert(value, at: index)
                } else if JSONPointer.index(token) == nil {
                    throw PatchFailure("\"\(token)\" is not a list index",
                                       hint: "use a number from 0 to \(l.count) without leading zeros, or - to append")
                } else {
                    throw PatchFailure("index \"\(token)\" is out of range for a list of \(l.count) elements",
                                       hint: "use an index from 0 to \(l.count), or - to append")
                }
                parent.kind = .list(l)
            default:
                throw PatchFailure("cannot add a member to a \(parent.typeName) at \(JSONPointer(tokens: path.tokens.dropLast()))")
            }
        }
    }

    private static func remove(at path: JSONPointer, from document: inout Value) throws -> Value {
        guard !path.tokens.isEmpty else { throw PatchFailure("cannot remove the whole document") }
        guard let removed = path.resolve(in: document) else { throw PatchFailure.missing(path) }
        try withParent(of: path, in: &document) { parent, token in
            switch parent.kind {
            case .map(var m):
                m.removeValue(forKey: token)
                parent.kind = .map(m)
            case .list(var l):
                l.remove(at: JSONPointer.index(token)!)  // resolve() above proved the index exists
                parent.kind = .list(l)
            default:
                throw PatchFailure.missing(path)
            }
        }
        return removed
    }

    /// Runs `body` on the parent of the node `path` refers to (which need not exist), and writes the
    /// changed parent back up the tree. Throws when the parent does not exist.
    private static func withParent(
        of path: JSONPointer, in document: inout Value, _ body: (inout Value, String) throws -> Void
    ) throws {
        func descend(_ node: inout Value, _ depth: Int) throws {
            let token = path.tokens[depth]
            if depth == path.tokens.count - 1 { return try body(&node, token) }
            let missingParent = PatchFailure(
                "\(JSONPointer(tokens: Array(path.tokens.prefix(depth + 1)))) does not exist, so \(path) cannot be reached",
                hint: "add the parent first, or use a merge patch, which creates missing maps")
            switch node.kind {
            case .map(var m):
                guard var child = m[token] else { throw missingParent }
                try descend(&child, depth + 1)
                m[token] = child
                node.kind = .map(m)
            case .list(var l):
                guard let index = JSONPointer.index(token), index < l.count else { throw missingParent }
                try descend(&l[index], depth + 1)
                node.kind = .list(l)
            default:
                throw missingParent
            }
        }
        try descend(&document, 0)
    }

    /// JSON equality: numbers compare by value (`1` equals `1.0`), maps ignore key order.
    static func jsonEqual(_ a: Value, _ b: Value) -> Bool {
        switch (a.kind, b.kind) {
        case let (.int(x), .double(y)), let (.double(y), .int(x)): return Double(x) == y
        case let (.list(x), .list(y)):
            return x.count == y.count && zip(x, y).allSatisfy { jsonEqual($0, $1) }
        case let (.map(x), .map(y)):
            guard x.count == y.count else { return false }
            return x.allSatisfy { entry in y[entry.key].map { jsonEqual(entry.value, $0) } ?? false }
        default: return a == b
        }
    }

    /// A value as compact JSON, shortened for a message.
    static func brief(_ value: Value) -> String {
        let text = JSON.encode(value)
        return text.count <= 80 ? text : String(text.prefix(77)) + "..."
    }
}

/// Why an operation cannot be applied, before the operation's index and location are added.
private struct PatchFailure: Error {
    var reason: String
    var hint: String?

    init(_ reason: String, hint: String? = nil) {
        self.reason = reason
        self.hint = hint
    }

    static func missing(_ path: JSONPointer) -> PatchFailure {
        PatchFailure("path \(path.description.isEmpty ? "\"\"" : path.description) does not exist",
                     hint: "check the path against the document; list indexes start at 0")
    }
}

/// A JSON Patch that is malformed or cannot be applied to a document.
public struct JSONPatchError: SluiceError, Hashable {
    /// The 0-based index of the failing operation; `nil` when the patch as a whole is malformed.
    public var operationIndex: Int?
    /// Where the failing operation (or the malformed member) was written.
    public var location: SourceLocation?
    /// What is wrong, without the operation index.
    public var reason: String
    /// What to do about it, when Sluice can tell.
    public var hint: String?

    /// An error about operation `operationIndex` (or the whole patch when `nil`).
    public init(operationIndex: Int?, at location: SourceLocation?, _ reason: String, hint: String? = nil) {
        self.operationIndex = operationIndex
        self.location = location
        self.reason = reason
        self.hint = hint
    }

    /// `operation N: reason`, or just the reason for a malformed patch.
    public var message: String {
        operationIndex.map { "operation \($0): \(reason)" } ?? reason
    }
}
