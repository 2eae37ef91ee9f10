#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore
import SluiceRegex
import SluiceYAML

/// One walk of a value against a compiled schema, collecting diagnostics.
///
/// The path is kept as a stack of components and only turned into text when something is reported,
/// so that validating thousands of valid objects allocates almost nothing.
struct SchemaValidation {
    enum PathComponent {
        case key(String)
        case index(Int)
    }

    let basePath: String
    private(set) var diagnostics: [Diagnostic] = []
    private var path: [PathComponent] = []

    init(basePath: String) { self.basePath = basePath }

    // MARK: - Reporting

    /// The current path as text, e.g. `spec.job.args[0]` or `metadata.labels[app.kubernetes.io/name]`.
    func pathText(adding extra: PathComponent? = nil) -> String {
        var text = basePath
        for component in path + (extra.map { [$0] } ?? []) {
            switch component {
            case .index(let i): text += "[\(i)]"
            case .key(let k) where Self.isPlainKey(k): text += text.isEmpty ? k : ".\(k)"
            case .key(let k): text += "[\(k)]"
            }
        }
        return text.isEmpty ? "<root>" : text
    }

    private static func isPlainKey(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.allSatisfy { b in
            (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x2D
        }
    }

    private mutating func report(_ location: NodeLocation, _ message: String, at extra: PathComponent? = nil, hint: String? = nil) {
        diagnostics.append(Diagnostic(.error, at: location.sourceLocation, "\(pathText(adding: extra)): \(message)", hint: hint))
    }

    // MARK: - The walk

    /// Checks `value` against `node`; `fallback` is the nearest location above, for values built in code.
    mutating func check(_ value: Value, against node: SchemaNode, fallback: NodeLocation) {
        let location = value.nodeLocation.or(fallback)
        guard checkType(value, node, location) else { return }

        if !node.enumSet.isEmpty, !node.enumSet.contains(value), let options = node.enumValues {
            report(location, "unsupported value \(Self.quoted(value)); expected one of: "
                + options.map(Self.plain).joined(separator: ", "))
        }
        switch value.kind {
        case .int(let i):
            checkNumber(Double(i), int: i, node, location)
        case .double(let d):
            checkNumber(d, int: nil, node, location)
        case .string(let s):
            checkString(s, node, location)
        case .list(let list):
            checkList(list, node, location)
        case .map(let map):
            checkMap(map, node, location)
        case .null, .bool:
            break
        }
        checkCombinators(value, node, location)
    }

    /// Whether the value's type is one the node accepts; reports the mismatch otherwise.
    private mutating func checkType(_ value: Value, _ node: SchemaNode, _ location: NodeLocation) -> Bool {
        let accepted: Bool
        switch value.kind {
        case .null:
            // Null is only for nullable nodes; an untyped node (preserved unknown data) takes anything.
            accepted = node.nullable || (node.type == nil && !node.intOrString)
        case .int:
            accepted = node.intOrString || node.type == nil || node.type == .integer || node.type == .number
        case .string:
            accepted = node.intOrString || node.type == nil || node.type == .string
        case .double:
            accepted = !node.intOrString && (node.type == nil || node.type == .number)
        case .bool:
            accepted = !node.intOrString && (node.type == nil || node.type == .boolean)
        case .list:
            accepted = !node.intOrString && (node.type == nil || node.type == .array)
        case .map:
            accepted = !node.intOrString && (node.type == nil || node.type == .object)
        }
        if !accepted {
            let hint: String? = switch (node.type, value.kind) {
            case (.string?, .int), (.string?, .double), (.string?, .bool):
                "quote the value if it is meant as text, e.g. \"\(Self.plain(value))\""
            default: nil
            }
            report(location, "expected \(node.typeDescription), found \(value.typeName)", hint: hint)
        }
        return accepted
    }

    private mutating func checkNumber(_ d: Double, int: Int?, _ node: SchemaNode, _ location: NodeLocation) {
        let shown = int.map(String.init) ?? "\(d)"
        if node.format == "int32", let i = int, i < Int(Int32.min) || i > Int(Int32.max) {
            report(location, "\(i) is out of range for a 32-bit integer (\(Int32.min) to \(Int32.max))")
        }
        if let minimum = node.minimum {
            if node.exclusiveMinimum, d <= minimum {
                report(location, "must be greater than \(Self.number(minimum)), found \(shown)")
            } else if d < minimum {
                report(location, "must be at least \(Self.number(minimum)), found \(shown)")
            }
        }
        if let maximum = node.maximum {
            if node.exclusiveMaximum, d >= maximum {
                report(location, "must be less than \(Self.number(maximum)), found \(shown)")
            } else if d > maximum {
                report(location, "must be at most \(Self.number(maximum)), found \(shown)")
            }
        }
        if let m = node.multipleOf {
            let quotient = d / m
            if quotient != quotient.rounded() {
                report(location, "must be a multiple of \(Self.number(m)), found \(shown)")
            }
        }
    }

    private mutating func checkString(_ s: String, _ node: SchemaNode, _ location: NodeLocation) {
        if node.minLength != nil || node.maxLength != nil {
            // Kubernetes counts Unicode code points (Go runes), not bytes or grapheme clusters.
            let length = s.unicodeScalars.count
            if let minLength = node.minLength, length < minLength {
                report(location, "must be at least \(minLength) characters long, found \(length)")
            }
            if let maxLength = node.maxLength, length > maxLength {
                report(location, "must be at most \(maxLength) characters long, found \(length)")
            }
        }
        if let pattern = node.pattern, !pattern.matches(s) {
            report(location, "\(Self.quoted(.string(s))) does not match the pattern \(pattern.pattern)")
        }
    }

    private mutating func checkList(_ list: [Value], _ node: SchemaNode, _ location: NodeLocation) {
        if let minItems = node.minItems, list.count < minItems {
            report(location, "must have at least \(minItems) item\(minItems == 1 ? "" : "s"), found \(list.count)")
        }
        if let maxItems = node.maxItems, list.count > maxItems {
            report(location, "must have at most \(maxItems) item\(maxItems == 1 ? "" : "s"), found \(list.count)")
        }
        if let items = node.items {
            for (index, item) in list.enumerated() {
                path.append(.index(index))
                check(item, against: items, fallback: location)
                path.removeLast()
            }
        }
        switch node.listType {
        case .set:
            checkUnique(list, location, describe: Self.plain) { $0 }
        case .map(let keys):
            checkUnique(list, location, describe: { item in
                "with " + keys.map { "\($0)=\(Self.plain(item[$0] ?? .null))" }.joined(separator: ", ")
            }) { item in
                // Missing key fields count as null, as in the API server's merge key.
                Value(.list(keys.map { item[$0] ?? .null }))
            }
        case .atomic where node.uniqueItems:
            checkUnique(list, location, describe: Self.plain) { $0 }
        case .atomic:
            break
        }
    }

    /// Reports every item whose identity (`key`) repeats an earlier item's.
    private mutating func checkUnique(
        _ list: [Value], _ location: NodeLocation, describe: (Value) -> String, key: (Value) -> Value
    ) {
        guard list.count > 1 else { return }
        var seen: [Value: Int] = [:]
        for (index, item) in list.enumerated() {
            let identity = key(item)
            if let first = seen[identity] {
                report(item.nodeLocation.or(location), "duplicate entry \(describe(item)) (first at index \(first))",
                       at: .index(index))
            } else {
                seen[identity] = index
            }
        }
    }

    private mutating func checkMap(_ map: Mapping, _ node: SchemaNode, _ location: NodeLocation) {
        if let minProperties = node.minProperties, map.count < minProperties {
            report(location, "must have at least \(minProperties) field\(minProperties == 1 ? "" : "s"), found \(map.count)")
        }
        if let maxProperties = node.maxProperties, map.count > maxProperties {
            report(location, "must have at most \(maxProperties) field\(maxProperties == 1 ? "" : "s"), found \(map.count)")
        }
        let rejectsUnknown = node.rejectsUnknownFields
        for entry in map {
            let child: SchemaNode
            if let declared = node.properties[entry.key] {
                child = declared
            } else if case .schema(let schema) = node.additional {
                child = schema
            } else {
                if rejectsUnknown {
                    let keyLocation = entry.keyOrValueLocation.or(location)
                    let suggestion = Suggestion.closest(to: entry.key, in: node.propertyNames)
                    let message = "unknown field \"\(entry.key)\"" + (suggestion.map { " (did you mean \"\($0)\"?)" } ?? "")
                    let hint = suggestion == nil && !node.propertyNames.isEmpty && node.propertyNames.count <= 12
                        ? "known fields: \(node.propertyNames.joined(separator: ", "))" : nil
                    report(keyLocation, message, at: .key(entry.key), hint: hint)
                }
                continue
            }
            // A null member of a non-nullable field is pruned by the API server before validation
            // (Kubernetes' structural pruning), so it counts as absent here too.
            if entry.value.isNull, !child.nullable { continue }
            path.append(.key(entry.key))
            check(entry.value, against: child, fallback: entry.keyNodeLocation.or(location))
            path.removeLast()
        }
        for name in node.required {
            guard let member = map.entry(name) else {
                report(location, "required field is missing", at: .key(name))
                continue
            }
            if member.value.isNull, !(node.properties[name]?.nullable ?? false) {
                report(member.value.nodeLocation.or(member.keyNodeLocation).or(location), "required field must not be null", at: .key(name))
            }
        }
    }

    /// `allOf`, `anyOf`, `oneOf` and `not`: each branch is checked on its own, silently, and only the
    /// outcome is reported (with the branch's first problem when that helps).
    private mutating func checkCombinators(_ value: Value, _ node: SchemaNode, _ location: NodeLocation) {
        for branch in node.allOf {
            check(value, against: branch, fallback: location)
        }
        if !node.anyOf.isEmpty {
            let outcomes = node.anyOf.map { branchProblems(value, $0, location) }
            if !outcomes.contains(where: \.isEmpty) {
                let first = outcomes.first?.first.map { "; for example, \($0.message)" } ?? ""
                report(location, "must match at least one of the \(node.anyOf.count) allowed schemas (anyOf)\(first)")
            }
        }
        if !node.oneOf.isEmpty {
            let outcomes = node.oneOf.map { branchProblems(value, $0, location) }
            let matching = outcomes.filter(\.isEmpty).count
            if matching != 1 {
                report(location, "must match exactly one of the \(node.oneOf.count) allowed schemas (oneOf), matches \(matching)")
            }
        }
        if let not = node.not, branchProblems(value, not, location).isEmpty {
            report(location, "must not match the schema given under \"not\"")
        }
    }

    private func branchProblems(_ value: Value, _ branch: SchemaNode, _ location: NodeLocation) -> [Diagnostic] {
        var sub = SchemaValidation(basePath: basePath)
        sub.path = path
        sub.check(value, against: branch, fallback: location)
        return sub.diagnostics
    }

    // MARK: - Formatting values for messages

    /// A value as written in messages: strings quoted, everything else as compact JSON.
    static func quoted(_ value: Value) -> String {
        if case .string(let s) = value.kind { return "\"\(s)\"" }
        return JSONPatch.brief(value)
    }

    /// A value in a list of options: strings bare, everything else as compact JSON.
    static func plain(_ value: Value) -> String {
        if case .string(let s) = value.kind { return s }
        return JSONPatch.brief(value)
    }

    static func number(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : "\(d)"
    }
}
