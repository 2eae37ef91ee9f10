/// CEL optional values: `optional.of(x)`, `optional.none()`, `optional.ofNonZeroValue(x)`, the
/// methods `hasValue()`, `value()`, `or()`, `orValue()`, and optional field selection and indexing
/// (`m.?f`, `m[?k]`). Selecting or indexing into an optional yields an optional, so a chain such
/// as `optional.of(m).a.b` is empty as soon as one step is missing.
enum Optionals {
    /// `optional.<name>(args)`.
    static func call(_ name: String, _ args: [CELValue]) throws -> CELValue {
        switch (name, args.count) {
        case ("of", 1): return .optional(args[0])
        case ("none", 0): return .optional(nil)
        case ("ofNonZeroValue", 1): return .optional(isZero(args[0]) ? nil : args[0])
        case ("unwrap", 1): return try unwrap(args[0])
        default: throw Functions.noOverload("optional.\(name)", nil, args)
        }
    }

    /// A method on an optional; `wrapped` is its value, `nil` when empty.
    static func method(_ name: String, _ wrapped: CELValue?, _ args: [CELValue]) throws -> CELValue {
        switch (name, args.count) {
        case ("hasValue", 0): return .bool(wrapped != nil)
        case ("value", 0):
            guard let wrapped else { throw CELError("optional.none() dereference") }
            return wrapped
        case ("or", 1):
            guard case .optional = args[0] else { throw Functions.noOverload(name, .optional(wrapped), args) }
            return wrapped == nil ? args[0] : .optional(wrapped)
        case ("orValue", 1): return wrapped ?? args[0]
        default: throw Functions.noOverload(name, .optional(wrapped), args)
        }
    }

    /// `target.?field`, and `target.field` when `target` is an optional.
    static func select(_ target: CELValue, _ field: String) throws -> CELValue {
        switch target {
        case .map(let m): return .optional(m[.string(field)])
        case .optional(nil): return target
        case .optional(let wrapped?): return try select(wrapped, field)
        default: throw CELError("type '\(target.typeName)' does not support field selection")
        }
    }

    /// `target[?index]`, and `target[index]` when `target` is an optional.
    static func index(_ target: CELValue, _ index: CELValue) throws -> CELValue {
        switch target {
        case .list(let l):
            let i = try Functions.listPosition(index)
            return .optional(i >= 0 && i < l.count ? l[Int(i)] : nil)
        case .map(let m):
            switch index {
            case .int, .uint, .bool, .string, .double: return .optional(m[index])
            default: throw CELError("unsupported key type \(index.typeName)")
            }
        case .optional(nil): return target
        case .optional(let wrapped?): return try Optionals.index(wrapped, index)
        default: throw CELError("type '\(target.typeName)' does not support indexing")
        }
    }

    /// The value of a `?entry` in a list or map literal: `nil` (leave the entry out) when empty.
    static func entry(_ value: CELValue) throws -> CELValue? {
        guard case .optional(let wrapped) = value else {
            throw CELError("an optional entry needs an optional value, got \(value.typeName)")
        }
        return wrapped
    }

    /// `optional.unwrap(list)` and `list.unwrapOpt()`: the values of the non-empty optionals.
    static func unwrap(_ list: CELValue) throws -> CELValue {
        guard case .list(let items) = list else { throw Functions.noOverload("optional.unwrap", nil, [list]) }
        var out: [CELValue] = []
        for item in items {
            guard case .optional(let wrapped) = item else { throw Functions.noOverload("optional.unwrap", nil, [list]) }
            if let wrapped { out.append(wrapped) }
        }
        return .list(out)
    }

    /// Whether `v` is the zero value of its type, which `optional.ofNonZeroValue` treats as absent.
    static func isZero(_ v: CELValue) -> Bool {
        switch v {
        case .null: true
        case .bool(let b): !b
        case .int(let i): i == 0
        case .uint(let u): u == 0
        case .double(let d): d == 0
        case .string(let s): s.isEmpty
        case .bytes(let b): b.isEmpty
        case .list(let l): l.isEmpty
        case .map(let m): m.count == 0
        case .duration(let d): d.seconds == 0 && d.nanos == 0
        case .timestamp(let t): t.seconds == 0 && t.nanos == 0
        case .optional(let wrapped): wrapped == nil
        case .type, .object: false
        }
    }
}

/// The optional forms of the evaluator: literals with `?entries` and `optMap`/`optFlatMap`.
extension Evaluator {
    mutating func optionalEntryList(_ items: [Expr], _ optional: [Bool]) throws -> CELValue {
        var out: [CELValue] = []
        out.reserveCapacity(items.count)
        for (item, isOptional) in zip(items, optional) {
            let value = try eval(item)
            if !isOptional { out.append(value); continue }
            if let present = try Optionals.entry(value) { out.append(present) }
        }
        return .list(out)
    }

    mutating func optionalEntryMap(_ entries: [(key: Expr, value: Expr, optional: Bool)]) throws -> CELValue {
        var pairs: [(CELValue, CELValue)] = []
        for (k, v, isOptional) in entries {
            let key = try eval(k), value = try eval(v)
            if !isOptional { pairs.append((key, value)); continue }
            if let present = try Optionals.entry(value) { pairs.append((key, present)) }
        }
        return .map(try CELMap(pairs))
    }

    /// `operand.optMap(variable, body)`: `body` with `variable` bound to the value, as an
    /// optional; with `flatten` (`optFlatMap`) `body` must give an optional itself.
    mutating func optionalMap(_ operand: Expr, _ variable: String, _ body: Expr, flatten: Bool) throws -> CELValue {
        let target = try eval(operand)
        guard case .optional(let wrapped) = target else {
            throw CELError("no such overload: \(flatten ? "optFlatMap" : "optMap") on \(target.typeName)")
        }
        guard let wrapped else { return .optional(nil) }
        locals.append((variable, wrapped))
        defer { locals.removeLast() }
        let result = try eval(body)
        if !flatten { return .optional(result) }
        guard case .optional = result else { throw CELError("optFlatMap needs an optional result, got \(result.typeName)") }
        return result
    }
}
