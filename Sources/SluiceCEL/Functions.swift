import Foundation

/// The operators and functions of the standard library, plus the string and list extensions
/// Kubernetes enables for admission policies.
enum Functions {
    /// Prefixes of namespaced functions (`math.greatest`, `strings.quote`, `base64.encode`).
    static let namespaces: Set<String> = ["math", "strings", "base64", "optional"]

    static let typeNames: Set<String> = ["int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type", "optional_type"]

    static func noOverload(_ name: String, _ receiver: CELValue?, _ args: [CELValue]) -> CELError {
        let types = ((receiver.map { [$0] } ?? []) + args).map(\.typeName).joined(separator: ", ")
        return CELError("no such overload: \(name)(\(types))")
    }

    /// The extra cost of a call: proportional to the size of string and list operands, and for a
    /// regular expression to the product of the string's and the pattern's sizes.
    static func cost(_ name: String, _ receiver: CELValue?, _ args: [CELValue]) -> Int {
        var c = 0
        if Regex.functions.contains(name) {
            switch (receiver, args.first, args.count > 1 ? args[1] : nil) {
            case (.string(let s)?, .string(let pattern)?, _), (nil, .string(let s)?, .string(let pattern)?):
                c += Regex.cost(s, pattern: pattern)
            default: break
            }
        }
        if let receiver { c += operandCost(receiver) }
        for v in args { c += operandCost(v) }
        return c
    }

    /// The part of a call's cost one operand adds: its size, for strings and lists.
    @inline(__always)
    static func operandCost(_ v: CELValue) -> Int {
        switch v {
        case .string(let s): s.utf8.count / 64
        case .list(let l): l.count / 8
        default: 0
        }
    }

    static func call(_ name: String, receiver: CELValue?, _ args: [CELValue]) throws -> CELValue {
        if let receiver { return try method(name, receiver, args) }
        if name.hasPrefix("math.") { return try MathFunctions.call(String(name.dropFirst(5)), args) }
        switch (name, args.first) {
        case ("base64.encode", .bytes(let b)?) where args.count == 1:
            return .string(Data(b).base64EncodedString())
        case ("base64.decode", .string(let s)?) where args.count == 1:
            var padded = s
            while padded.count % 4 != 0 { padded += "=" }
            guard let data = Data(base64Encoded: padded) else { throw CELError("invalid base64 data") }
            return .bytes([UInt8](data))
        case ("strings.quote", .string(let s)?) where args.count == 1:
            return .string(StringFunctions.quote(s))
        default: break
        }
        switch (name, args.count) {
        case ("_==_", 2): return .bool(args[0].celEquals(args[1]))
        case ("_!=_", 2): return .bool(!args[0].celEquals(args[1]))
        case ("_<_", 2): return try order(args, { $0 == .orderedAscending })
        case ("_<=_", 2): return try order(args, { $0 != .orderedDescending })
        case ("_>_", 2): return try order(args, { $0 == .orderedDescending })
        case ("_>=_", 2): return try order(args, { $0 != .orderedAscending })
        case ("@in", 2): return try contains(args[1], args[0])
        case ("_+_", 2): return try Arithmetic.add(args[0], args[1])
        case ("_-_", 2): return try Arithmetic.subtract(args[0], args[1])
        case ("_*_", 2): return try Arithmetic.multiply(args[0], args[1])
        case ("_/_", 2): return try Arithmetic.divide(args[0], args[1])
        case ("_%_", 2): return try Arithmetic.modulo(args[0], args[1])
        case ("-_", 1): return try Arithmetic.negate(args[0])
        case ("!_", 1):
            guard case .bool(let b) = args[0] else { throw noOverload("!_", nil, args) }
            return .bool(!b)
        case ("size", 1): return try method("size", args[0], [])
        case ("type", 1): return .type(args[0].typeName)
        case ("dyn", 1): return args[0]
        case ("int", 1), ("uint", 1), ("double", 1), ("string", 1), ("bool", 1), ("bytes", 1), ("duration", 1), ("timestamp", 1):
            return try Conversions.convert(args[0], to: name)
        case ("matches", 2): return try method("matches", args[0], [args[1]])
        default:
            // Checked last so that operators do not pay for the prefix test.
            if name.hasPrefix("optional.") { return try Optionals.call(String(name.dropFirst(9)), args) }
            if let value = try Libraries.call(name, args) { return value }
            throw noOverload(name, nil, args)
        }
    }

    static func order(_ args: [CELValue], _ test: (ComparisonResult) -> Bool) throws -> CELValue {
        try order(args[0], args[1], test)
    }

    static func order(_ a: CELValue, _ b: CELValue, _ test: (ComparisonResult) -> Bool) throws -> CELValue {
        do {
            return .bool(test(try a.celCompare(b)))
        } catch is CELValue.NaNComparison {
            return .bool(false)
        }
    }

    static func contains(_ container: CELValue, _ element: CELValue) throws -> CELValue {
        switch container {
        case .list(let l): return .bool(l.contains { $0.celEquals(element) })
        case .map(let m): return .bool(m[element] != nil)
        default: throw noOverload("@in", nil, [element, container])
        }
    }

    /// A list index given as an int, a uint or a whole double.
    static func listPosition(_ index: CELValue) throws -> Int64 {
        switch index {
        case .int(let v): return v
        case .uint(let v): return Int64(clamping: v)
        case .double(let d) where d == d.rounded() && abs(d) < 9e18: return Int64(d)
        default: throw CELError("unsupported index type \(index.typeName) for a list")
        }
    }

    static func index(_ target: CELValue, _ index: CELValue) throws -> CELValue {
        switch target {
        case .list(let l):
            let i = try listPosition(index)
            guard i >= 0, i < l.count else { throw CELError("index out of bounds: \(i)") }
            return l[Int(i)]
        case .map(let m):
            switch index {
            case .int, .uint, .bool, .string, .double: break
            default: throw CELError("unsupported key type \(index.typeName)")
            }
            guard let v = m[index] else { throw CELError("no such key: \(Conversions.text(index))") }
            return v
        case .optional:
            // Indexing into an optional yields an optional: `optional.of(l)[0]`.
            return try Optionals.index(target, index)
        default:
            throw CELError("type '\(target.typeName)' does not support indexing")
        }
    }

    static func method(_ name: String, _ receiver: CELValue, _ args: [CELValue]) throws -> CELValue {
        switch (receiver, name, args.count) {
        case (.string(let s), "size", 0): return .int(Int64(Regex.codePoints(s)))
        case (.bytes(let b), "size", 0): return .int(Int64(b.count))
        case (.list(let l), "size", 0): return .int(Int64(l.count))
        case (.map(let m), "size", 0): return .int(Int64(m.count))
        default: break
        }
        if case .timestamp(let t) = receiver, name.hasPrefix("get"), args.count <= 1 { return try TimeFunctions.accessor(name, t, args) }
        if case .duration(let d) = receiver, name.hasPrefix("get"), args.isEmpty { return try TimeFunctions.durationAccessor(name, d) }
        if case .object(let o) = receiver { return try o.call(name, args) }
        if case .optional(let wrapped) = receiver { return try Optionals.method(name, wrapped, args) }
        if case .list = receiver, name == "unwrapOpt", args.isEmpty { return try Optionals.unwrap(receiver) }
        if case .string(let s) = receiver { return try StringFunctions.call(name, s, args) }
        if case .list(let l) = receiver { return try ListFunctions.call(name, l, args) }
        throw noOverload(name, receiver, args)
    }
}
