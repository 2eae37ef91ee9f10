import Foundation

/// A CEL value. Numbers keep their CEL type (int, uint, double); maps keep insertion order.
public enum CELValue: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    case list([CELValue])
    case map(CELMap)
    /// A type value, such as the result of `type(1)` (named `int`).
    case type(String)
    case duration(CELDuration)
    case timestamp(CELTimestamp)
    /// A value of a library type (`ip`, `cidr`, `quantity`, `url`, ...): the library defines it.
    /// Boxed (`indirect`): inline, the existential would make every CELValue twice as large, and
    /// evaluation copies values all the time.
    indirect case object(any CELObject)
    /// A CEL optional (`optional.of(x)`, `optional.none()`, `m.?field`): `nil` is the empty optional.
    indirect case optional(CELValue?)

    /// The CEL type name of the value.
    public var typeName: String {
        switch self {
        case .null: "null_type"
        case .bool: "bool"
        case .int: "int"
        case .uint: "uint"
        case .double: "double"
        case .string: "string"
        case .bytes: "bytes"
        case .list: "list"
        case .map: "map"
        case .type: "type"
        case .duration: "google.protobuf.Duration"
        case .timestamp: "google.protobuf.Timestamp"
        case .object(let o): o.typeName
        case .optional: "optional_type"
        }
    }
}

/// A CEL map: keys are int, uint, bool or string; an int and a uint with the same value are the same key.
///
/// Small maps (most of a Kubernetes object) are searched linearly, which is cheaper to build
/// than a hash table; larger ones get an index. The entries live in one copy-on-write buffer, so
/// copying a map (evaluation copies values all the time) costs one reference count, not four.
public struct CELMap: Sendable {
    static let indexThreshold = 8

    /// Mutated only through `CELMap`'s mutating methods, after `isKnownUniquelyReferenced`: a
    /// write has the only reference, so no other access can overlap it, and the runtime's
    /// exclusivity check (a call on every read of a field, the evaluator's most frequent
    /// operation) is left out.
    private final class Storage: @unchecked Sendable {
        @exclusivity(unchecked) var keys: [CELValue] = []
        @exclusivity(unchecked) var values: [CELValue] = []
        @exclusivity(unchecked) var normalized: [MapKey] = []
        @exclusivity(unchecked) var index: [MapKey: Int]?

        init() {}

        /// Storage made whole in one step: each property written once, where filling an empty
        /// storage wrote (and released) every array twice, each write checked for exclusive access.
        init(keys: [CELValue], values: [CELValue], normalized: [MapKey], index: [MapKey: Int]?) {
            self.keys = keys
            self.values = values
            self.normalized = normalized
            self.index = index
        }

        init(copying other: Storage) {
            keys = other.keys
            values = other.values
            normalized = other.normalized
            index = other.index
        }

        func position(of key: MapKey) -> Int? {
            if let index { return index[key] }
            return normalized.firstIndex(of: key)
        }
    }

    private var storage: Storage

    public init() { storage = Storage() }

    public init(_ pairs: [(CELValue, CELValue)]) throws {
        storage = Storage()
        storage.keys.reserveCapacity(pairs.count)
        storage.values.reserveCapacity(pairs.count)
        storage.normalized.reserveCapacity(pairs.count)
        for (k, v) in pairs {
            guard let key = MapKey(k) else { throw CELError("unsupported key type \(k.typeName)") }
            if storage.position(of: key) != nil { throw CELError("Failed with repeated key") }
            append(key, k, v)
        }
    }

    /// A map from string keys that are already known to be distinct (a YAML or JSON object's),
    /// built without the duplicate check: converting every object a policy sees is a hot path.
    public init(distinctStringKeys entries: [(String, CELValue)]) {
        self.init(distinctStringKeys: entries.map(\.0), values: entries.map(\.1))
    }

    /// `init(distinctStringKeys:)` from the keys and the values apart, at the same indices.
    public init(distinctStringKeys keys: [String], values: [CELValue]) {
        precondition(keys.count == values.count, "one value per key")
        let normalized = keys.map { MapKey.string($0) }
        var index: [MapKey: Int]?
        if keys.count > Self.indexThreshold {
            var byKey = [MapKey: Int](minimumCapacity: keys.count)
            // Backwards, so that of two equal keys the index keeps the first, as the linear search
            // of a small map finds it.
            for i in normalized.indices.reversed() { byKey[normalized[i]] = i }
            index = byKey
        }
        storage = Storage(keys: keys.map { .string($0) }, values: values, normalized: normalized, index: index)
    }

    public var keys: [CELValue] { storage.keys }

    public var count: Int { storage.keys.count }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = Storage(copying: storage) }
    }

    private mutating func append(_ key: MapKey, _ original: CELValue, _ value: CELValue) {
        makeUnique()
        storage.keys.append(original)
        storage.values.append(value)
        storage.normalized.append(key)
        if storage.index != nil {
            storage.index![key] = storage.normalized.count - 1
        } else if storage.normalized.count > Self.indexThreshold {
            storage.index = Dictionary(uniqueKeysWithValues: storage.normalized.enumerated().map { ($1, $0) })
        }
    }

    public subscript(key: CELValue) -> CELValue? {
        guard let k = MapKey(key) else {
            // A double key matches an int or uint key of the same value.
            if case .double(let d) = key, d == d.rounded(), let i = Int64(exactly: d) { return storage.position(of: .int(i)).map { storage.values[$0] } }
            return nil
        }
        return storage.position(of: k).map { storage.values[$0] }
    }

    /// `self[.string(key)]` without building the key: field selection, the evaluator's most
    /// frequent lookup.
    func value(forStringKey key: String) -> CELValue? {
        let storage = self.storage
        if let index = storage.index { return index[.string(key)].map { storage.values[$0] } }
        for i in storage.normalized.indices {
            if case .string(let k) = storage.normalized[i], k == key { return storage.values[i] }
        }
        return nil
    }

    public mutating func set(_ key: CELValue, _ value: CELValue) {
        guard let k = MapKey(key) else { return }
        if let i = storage.position(of: k) {
            makeUnique()
            storage.values[i] = value
        } else {
            append(k, key, value)
        }
    }

    public var entries: [(CELValue, CELValue)] { Array(zip(storage.keys, storage.values)) }

    enum MapKey: Hashable {
        case int(Int64), bigUint(UInt64), bool(Bool), string(String)
        init?(_ value: CELValue) {
            switch value {
            case .int(let i): self = .int(i)
            case .uint(let u): self = u <= UInt64(Int64.max) ? .int(Int64(u)) : .bigUint(u)
            case .bool(let b): self = .bool(b)
            case .string(let s): self = .string(s)
            default: return nil
            }
        }
    }
}

/// An evaluation or compilation error. In CEL errors are values: `false && <error>` is `false`.
public struct CELError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// 1-based position inside the expression, for compile errors.
    public var line: Int?
    public var column: Int?
    /// The name, when the error is a reference to a variable that is not declared: a dotted name
    /// whose first part is undeclared may still be a variable of its own (`a.b` in the activation).
    public private(set) var undeclaredReference: String?

    public init(_ message: String, line: Int? = nil, column: Int? = nil) {
        self.message = message
        self.line = line
        self.column = column
    }

    /// A reference to the variable `name`, which is not declared.
    static func undeclared(_ name: String) -> CELError {
        var error = CELError("undeclared reference to '\(name)'")
        error.undeclaredReference = name
        return error
    }

    public var description: String {
        if let line, let column { return "\(line):\(column): \(message)" }
        return message
    }
}

// MARK: - Equality and ordering, as the CEL spec defines them across numeric types

extension CELValue {
    /// CEL `==`: numbers compare by value across int, uint and double; other types must match.
    public func celEquals(_ other: CELValue) -> Bool {
        switch (self, other) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        // Code points, not canonical equivalence: CEL does not normalise strings.
        case let (.string(a), .string(b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case let (.bytes(a), .bytes(b)): return a == b
        case let (.type(a), .type(b)): return a == b
        case let (.duration(a), .duration(b)): return a == b
        case let (.timestamp(a), .timestamp(b)): return a == b
        case let (.object(a), .object(b)): return a.typeName == b.typeName && a.celEquals(b)
        case let (.optional(a), .optional(b)):
            guard let a, let b else { return a == nil && b == nil }
            return a.celEquals(b)
        case let (.list(a), .list(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.celEquals($1) }
        case let (.map(a), .map(b)):
            guard a.count == b.count else { return false }
            for (k, v) in a.entries {
                guard let w = b[k], v.celEquals(w) else { return false }
            }
            return true
        default:
            if let order = numericOrder(other) { return order == .orderedSame }
            return false
        }
    }

    /// The order of two numbers of any numeric type; `nil` if either is not a number (or NaN).
    func numericOrder(_ other: CELValue) -> ComparisonResult? {
        switch (self, other) {
        case let (.int(a), .int(b)): return a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
        case let (.uint(a), .uint(b)): return a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
        case let (.int(a), .uint(b)): return a < 0 ? .orderedAscending : UInt64(a) < b ? .orderedAscending : UInt64(a) > b ? .orderedDescending : .orderedSame
        case let (.uint(a), .int(b)): return CELValue.int(b).numericOrder(.uint(a)).map(Self.flip)
        case let (.double(a), .double(b)):
            if a.isNaN || b.isNaN { return nil }
            return a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
        case let (.double(a), .int(b)): return Self.compare(a, exactInt: b)
        case let (.int(a), .double(b)): return Self.compare(b, exactInt: a).map(Self.flip)
        case let (.double(a), .uint(b)): return Self.compare(a, exactUint: b)
        case let (.uint(a), .double(b)): return Self.compare(b, exactUint: a).map(Self.flip)
        default: return nil
        }
    }

    static func flip(_ r: ComparisonResult) -> ComparisonResult {
        r == .orderedAscending ? .orderedDescending : r == .orderedDescending ? .orderedAscending : .orderedSame
    }

    // A double against an int or uint: out-of-range doubles are below or above every value;
    // otherwise the integer is converted to double, as the CEL spec (and cel-go) does, so
    // 9223372036854775807 and 9223372036854775808.0 compare equal.
    static func compare(_ d: Double, exactInt i: Int64) -> ComparisonResult? {
        if d.isNaN { return nil }
        if d < -9.223372036854775808e18 { return .orderedAscending }
        if d > 9.223372036854775808e18 { return .orderedDescending }
        let x = Double(i)
        return d < x ? .orderedAscending : d > x ? .orderedDescending : .orderedSame
    }

    static func compare(_ d: Double, exactUint u: UInt64) -> ComparisonResult? {
        if d.isNaN { return nil }
        if d < 0 { return .orderedAscending }
        if d > 1.8446744073709551616e19 { return .orderedDescending }
        let x = Double(u)
        return d < x ? .orderedAscending : d > x ? .orderedDescending : .orderedSame
    }

    /// CEL ordering for `<`, `<=`, `>`, `>=`.
    func celCompare(_ other: CELValue) throws -> ComparisonResult {
        switch (self, other) {
        case let (.string(a), .string(b)):
            if a.unicodeScalars.elementsEqual(b.unicodeScalars) { return .orderedSame }
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? .orderedAscending : .orderedDescending
        case let (.bool(a), .bool(b)): return a == b ? .orderedSame : (!a ? .orderedAscending : .orderedDescending)
        case let (.bytes(a), .bytes(b)): return a.lexicographicallyPrecedes(b) ? .orderedAscending : a == b ? .orderedSame : .orderedDescending
        case let (.duration(a), .duration(b)): return a < b ? .orderedAscending : a == b ? .orderedSame : .orderedDescending
        case let (.timestamp(a), .timestamp(b)): return a < b ? .orderedAscending : a == b ? .orderedSame : .orderedDescending
        case let (.object(a), .object(b)) where a.typeName == b.typeName:
            if let order = a.celCompare(b) { return order }
            throw CELError("no such overload: \(typeName) < \(other.typeName)")
        default:
            if let r = numericOrder(other) { return r }
            if case .double(let d) = self, d.isNaN, other.isNumber { throw NaNComparison() }
            if case .double(let d) = other, d.isNaN, isNumber { throw NaNComparison() }
            throw CELError("no such overload: \(typeName) < \(other.typeName)")
        }
    }

    struct NaNComparison: Error {}

    var isNumber: Bool {
        switch self {
        case .int, .uint, .double: true
        default: false
        }
    }
}
