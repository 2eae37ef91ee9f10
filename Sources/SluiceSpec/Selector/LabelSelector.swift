import SluiceCore
import SluiceYAML

/// A Kubernetes label selector: requirements on labels that must all hold (logical AND).
///
/// It reads the structured form (`matchLabels` and `matchExpressions`, as in Deployments and
/// Sluice's Environments) and the string form of `kubectl -l` (`app=x,tier in (a,b),!legacy`).
/// As in Kubernetes, a selector without requirements matches everything.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    /// How a requirement compares a label.
    public enum Operator: String, Sendable, Hashable, CaseIterable {
        /// The label is present and its value is one of the values.
        case `in` = "In"
        /// The label is absent, or its value is none of the values.
        case notIn = "NotIn"
        /// The label is present, whatever its value.
        case exists = "Exists"
        /// The label is absent.
        case doesNotExist = "DoesNotExist"
    }

    /// One condition on one label key.
    public struct Requirement: Sendable, Hashable, CustomStringConvertible {
        /// The label key the requirement is about.
        public var key: String
        /// How the label is compared.
        public var `operator`: Operator
        /// The values of `In` and `NotIn` (sorted, without duplicates); empty for the others.
        public var values: [String]

        /// A requirement on `key`; `values` matter only for `In` and `NotIn`.
        public init(key: String, _ op: Operator, _ values: [String] = []) {
            self.key = key
            self.operator = op
            self.values = Array(Set(values)).sorted()
        }

        /// Whether a set of labels satisfies this requirement.
        public func matches(_ labels: [String: String]) -> Bool {
            let value = labels[key]
            switch self.operator {
            case .in: return value.map(values.contains) ?? false
            case .notIn: return value.map { !values.contains($0) } ?? true
            case .exists: return value != nil
            case .doesNotExist: return value == nil
            }
        }

        /// The requirement in the string form, e.g. `tier in (a,b)` or `!legacy`.
        public var description: String {
            switch self.operator {
            case .in where values.count == 1: return "\(key)=\(values[0])"
            case .in: return "\(key) in (\(values.joined(separator: ",")))"
            case .notIn where values.count == 1: return "\(key)!=\(values[0])"
            case .notIn: return "\(key) notin (\(values.joined(separator: ",")))"
            case .exists: return key
            case .doesNotExist: return "!\(key)"
            }
        }
    }

    /// The requirements, all of which must hold.
    public var requirements: [Requirement]

    /// The selector that matches everything.
    public init() { requirements = [] }

    /// A selector of the given requirements.
    public init(requirements: [Requirement]) { self.requirements = requirements }

    /// A selector that requires each label to have exactly the given value (`matchLabels`).
    public init(matchLabels: [String: String]) {
        requirements = matchLabels.keys.sorted().map { Requirement(key: $0, .in, [matchLabels[$0]!]) }
    }

    /// Whether the selector has no requirements (and so matches everything).
    public var isEmpty: Bool { requirements.isEmpty }

    /// Whether `labels` satisfy every requirement; always true for the empty selector.
    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { $0.matches(labels) }
    }

    /// The selector in the string form (`""` for the empty selector), parseable by `init(parsing:)`.
    public var description: String { requirements.map(\.description).joined(separator: ",") }
}

// MARK: - The structured form

extension LabelSelector {
    /// Reads `{matchLabels: {...}, matchExpressions: [{key, operator, values}]}`.
    ///
    /// `null` and `{}` give the empty selector. Throws a `DiagnosticError` with every problem found
    /// (an unknown member, an unsupported operator, values missing for `In`/`NotIn` or given for
    /// `Exists`/`DoesNotExist`, invalid label keys or values), each at the offending node and with a
    /// path relative to the selector, such as `matchExpressions[0].operator: ...`.
    public init(_ value: Value) throws {
        var problems: [Diagnostic] = []
        func problem(_ node: Value?, _ message: String, hint: String? = nil) {
            problems.append(Diagnostic(.error, at: node?.location ?? value.location, message, hint: hint))
        }
        var requirements: [Requirement] = []
        if value.isNull { self.init(); return }
        guard let map = value.mapValue else {
            throw DiagnosticError([Diagnostic(.error, at: value.location,
                "expected a map with matchLabels and/or matchExpressions, found \(value.typeName)")])
        }
        for entry in map where entry.key != "matchLabels" && entry.key != "matchExpressions" {
            problem(Value(.null, at: entry.keyOrValueLocation),
                    "unknown field \"\(entry.key)\"", hint: "a label selector has matchLabels and matchExpressions")
        }
        if let labels = map["matchLabels"], !labels.isNull {
            if let labelMap = labels.mapValue {
                for entry in labelMap {
                    let keyNode = Value(.string(entry.key), at: entry.keyOrValueLocation)
                    if let p = Names.labelKeyProblem(entry.key) { problem(keyNode, "matchLabels: invalid key \"\(entry.key)\": \(p)") }
                    guard let text = entry.value.stringValue else {
                        problem(entry.value, "matchLabels.\(entry.key): expected string, found \(entry.value.typeName)",
                                hint: "quote the value, e.g. \"\(entry.key)\": \"true\"")
                        continue
                    }
                    if let p = Names.labelValueProblem(text) { problem(entry.value, "matchLabels.\(entry.key): invalid value: \(p)") }
                    requirements.append(Requirement(key: entry.key, .in, [text]))
                }
            } else {
                problem(labels, "matchLabels: expected map, found \(labels.typeName)")
            }
        }
        if let expressions = map["matchExpressions"], !expressions.isNull {
            if let list = expressions.listValue {
                for (index, item) in list.enumerated() {
                    if let r = Self.requirement(item, path: "matchExpressions[\(index)]", problem) { requirements.append(r) }
                }
            } else {
                problem(expressions, "matchExpressions: expected list, found \(expressions.typeName)")
            }
        }
        if !problems.isEmpty { throw DiagnosticError(problems) }
        self.init(requirements: requirements)
    }

    private static func requirement(
        _ item: Value, path: String, _ problem: (Value?, String, String?) -> Void
    ) -> Requirement? {
        guard let map = item.mapValue else {
            problem(item, "\(path): expected map with key, operator and values, found \(item.typeName)", nil)
            return nil
        }
        for entry in map where !["key", "operator", "values"].contains(entry.key) {
            problem(Value(.null, at: entry.keyOrValueLocation),
                    "\(path): unknown field \"\(entry.key)\"", "a match expression has key, operator and values")
        }
        var valid = true
        let key = map["key"]?.stringValue
        if let key {
            if let p = Names.labelKeyProblem(key) { problem(map["key"], "\(path).key: invalid key \"\(key)\": \(p)", nil); valid = false }
        } else {
            problem(map["key"] ?? item, "\(path).key: " + (map["key"].map { "expected string, found \($0.typeName)" } ?? "required field is missing"), nil)
            valid = false
        }
        let allowed = Operator.allCases.map(\.rawValue).joined(separator: ", ")
        var op: Operator?
        switch map["operator"] {
        case nil:
            problem(item, "\(path).operator: required field is missing", "use one of: \(allowed)")
        case let node?:
            op = node.stringValue.flatMap(Operator.init(rawValue:))
            if op == nil {
                let written = node.stringValue.map { "\"\($0)\"" } ?? node.typeName
                problem(node, "\(path).operator: unsupported value \(written); expected one of: \(allowed)", nil)
            }
        }
        var values: [String] = []
        if let node = map["values"], !node.isNull {
            if let list = node.listValue {
                for (i, v) in list.enumerated() {
                    guard let s = v.stringValue else {
                        problem(v, "\(path).values[\(i)]: expected string, found \(v.typeName)", nil)
                        valid = false
                        continue
                    }
                    if let p = Names.labelValueProblem(s) { problem(v, "\(path).values[\(i)]: invalid value: \(p)", nil); valid = false }
                    values.append(s)
                }
            } else {
                problem(node, "\(path).values: expected list, found \(node.typeName)", nil)
                valid = false
            }
        }
        guard let op, valid else { return nil }
        let needsValues = op == .in || op == .notIn
        if needsValues && values.isEmpty {
            problem(map["values"] ?? item, "\(path).values: must be non-empty when operator is \(op.rawValue)", nil)
            return nil
        }
        if !needsValues && !values.isEmpty {
            problem(map["values"], "\(path).values: must be empty when operator is \(op.rawValue)", nil)
            return nil
        }
        return Requirement(key: key!, op, values)
    }
}
