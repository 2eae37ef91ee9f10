/// How the evaluator finds variables and fields: locals, the container, dotted variable names.
extension Evaluator {
    /// The longest dotted prefix of `names` bound as a variable (`a.b.c`, then `a.b`, each after
    /// `prefix`), with the remaining names selected from it, or a qualified type name; `nil` if
    /// neither.
    func qualifiedVariable(_ names: [String], prefix: String) throws -> CELValue? {
        if names.count == 3, names[0] == "google", names[1] == "protobuf", ["Timestamp", "Duration"].contains(names[2]) {
            return .type(names.joined(separator: "."))  // the type names of timestamps and durations
        }
        for length in stride(from: names.count, through: 2, by: -1) {
            guard var value = activation[prefix + names[..<length].joined(separator: ".")] else { continue }
            for field in names[length...] { value = try Evaluator.select(value, field) }
            return value
        }
        return nil
    }

    /// `target.field`: a map entry, or for an optional, an optional of the entry.
    static func select(_ target: CELValue, _ field: String) throws -> CELValue {
        guard case .map(let m) = target else {
            if case .optional = target { return try Optionals.select(target, field) }
            throw CELError("type '\(target.typeName)' does not support field selection")
        }
        guard let v = m.value(forStringKey: field) else { throw CELError("no such key: \(field)") }
        return v
    }

    /// `has(target.field)`; an empty optional has no fields.
    static func isPresent(_ target: CELValue, _ field: String) throws -> Bool {
        switch target {
        case .map(let m): return m.value(forStringKey: field) != nil
        case .optional(let wrapped?): return try isPresent(wrapped, field)
        case .optional(nil): return false
        default: throw CELError("invalid type for field selection: \(target.typeName)")
        }
    }

    /// The variable `name`: a local, else (with a container) a container-qualified one, else one
    /// of the activation. `hash` is `CELActivation.hash(name)`, which compiled steps work out once.
    func variable(_ name: String, hash: UInt64? = nil) -> CELValue? {
        if let local = locals.last(where: { $0.0 == name }) { return local.1 }
        for prefix in containerPrefixes {
            if let v = activation[prefix + name] { return v }
        }
        return activation[name, hash ?? CELActivation.hash(name)]
    }
}
