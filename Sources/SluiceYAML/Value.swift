import SluiceCore

/// A YAML or JSON document node: the one value model every Sluice stage shares.
///
/// A `Value` carries the place it was read from, so that a validation error, a policy
/// violation or a diff can point at a file, line and column. Equality and hashing ignore
/// locations: two values are equal when their data is.
public struct Value: Sendable {
    /// The data of a node.
    public enum Kind: Sendable {
        case null
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
        case list([Value])
        case map(Mapping)
    }

    public var kind: Kind
    /// Where the node was read from, compactly; `.none` for values Sluice made itself.
    public var nodeLocation: NodeLocation

    public init(_ kind: Kind, at location: SourceLocation? = nil) {
        self.kind = kind
        self.nodeLocation = NodeLocation(location)
    }

    /// A node at a location taken from another node, without looking up the file's name.
    @inlinable public init(_ kind: Kind, at location: NodeLocation) {
        self.kind = kind
        self.nodeLocation = location
    }

    /// Where the node was read from; `nil` for values Sluice made itself.
    public var location: SourceLocation? {
        get { nodeLocation.sourceLocation }
        set { nodeLocation = NodeLocation(newValue) }
    }

    public static let null = Value(.null, at: NodeLocation.none)
    public static func bool(_ b: Bool) -> Value { Value(.bool(b), at: NodeLocation.none) }
    public static func int(_ i: Int) -> Value { Value(.int(i), at: NodeLocation.none) }
    public static func double(_ d: Double) -> Value { Value(.double(d), at: NodeLocation.none) }
    public static func string(_ s: String) -> Value { Value(.string(s), at: NodeLocation.none) }
    public static func list(_ l: [Value]) -> Value { Value(.list(l), at: NodeLocation.none) }
    public static func map(_ m: Mapping) -> Value { Value(.map(m), at: NodeLocation.none) }
}

// MARK: - Accessors

extension Value {
    public var isNull: Bool { if case .null = kind { true } else { false } }
    public var boolValue: Bool? { if case .bool(let b) = kind { b } else { nil } }
    public var intValue: Int? { if case .int(let i) = kind { i } else { nil } }
    public var stringValue: String? { if case .string(let s) = kind { s } else { nil } }
    public var listValue: [Value]? { if case .list(let l) = kind { l } else { nil } }
    public var mapValue: Mapping? { if case .map(let m) = kind { m } else { nil } }

    /// A number as a double, whether it was written as an integer or not.
    public var doubleValue: Double? {
        switch kind {
        case .double(let d): d
        case .int(let i): Double(i)
        default: nil
        }
    }

    /// The member `key` of a map; `nil` for a missing key or a value that is not a map.
    public subscript(key: String) -> Value? {
        get { mapValue?[key] }
    }

    /// The element at `index` of a list; `nil` when out of range or not a list.
    public subscript(index: Int) -> Value? {
        guard let list = listValue, list.indices.contains(index) else { return nil }
        return list[index]
    }

    /// The value at a path of map keys, e.g. `value[path: "spec", "job", "parallelism"]`.
    public subscript(path keys: String...) -> Value? {
        var current: Value? = self
        for key in keys { current = current?[key] }
        return current
    }

    /// A short name of the node's type, for error messages ("expected a map, found a string").
    public var typeName: String {
        switch kind {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        case .list: "list"
        case .map: "map"
        }
    }

    /// The same data with every location removed, and the locations of children too.
    public var withoutLocations: Value {
        switch kind {
        case .list(let l): return Value(.list(l.map(\.withoutLocations)), at: NodeLocation.none)
        case .map(let m):
            var out = Mapping()
            for e in m.entries { out[e.key] = e.value.withoutLocations }
            return Value(.map(out), at: NodeLocation.none)
        default: return Value(kind, at: NodeLocation.none)
        }
    }
}

// MARK: - Changing nodes in place

extension Value {
    /// Runs `body` on this node's map, changed in place: the node lets go of its own reference
    /// first, so the map is copied only when another value shares it. Returns `nil` (and does
    /// nothing) when the node is not a map.
    @discardableResult
    public mutating func modifyMap<R>(_ body: (inout Mapping) throws -> R) rethrows -> R? {
        guard case .map(var map) = kind else { return nil }
        kind = .null
        defer { kind = .map(map) }
        return try body(&map)
    }

    /// Makes this node an empty map, at its own location, unless it is a map already.
    public mutating func makeMap() {
        if case .map = kind { return }
        kind = .map(Mapping())
    }
}

// MARK: - Equality (locations ignored)

extension Value: Hashable {
    public static func == (a: Value, b: Value) -> Bool {
        switch (a.kind, b.kind) {
        case (.null, .null): true
        case let (.bool(x), .bool(y)): x == y
        case let (.int(x), .int(y)): x == y
        case let (.double(x), .double(y)): x == y || (x.isNaN && y.isNaN)
        case let (.string(x), .string(y)): x == y
        case let (.list(x), .list(y)): x == y
        case let (.map(x), .map(y)): x == y
        default: false
        }
    }

    public func hash(into h: inout Hasher) {
        switch kind {
        case .null: h.combine(0)
        case .bool(let b): h.combine(1); h.combine(b)
        case .int(let i): h.combine(2); h.combine(i)
        case .double(let d): h.combine(3); h.combine(d)
        case .string(let s): h.combine(4); h.combine(s)
        case .list(let l): h.combine(5); h.combine(l)
        case .map(let m): h.combine(6); h.combine(m)
        }
    }
}

// MARK: - Literals, for code and tests that build values by hand

extension Value: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self.init(.null) }
    public init(booleanLiteral b: Bool) { self.init(.bool(b)) }
    public init(integerLiteral i: Int) { self.init(.int(i)) }
    public init(floatLiteral d: Double) { self.init(.double(d)) }
    public init(stringLiteral s: String) { self.init(.string(s)) }
    public init(arrayLiteral elements: Value...) { self.init(.list(elements)) }
    public init(dictionaryLiteral elements: (String, Value)...) {
        var m = Mapping()
        for (k, v) in elements { m[k] = v }
        self.init(.map(m))
    }
}

/// A YAML mapping / JSON object with string keys, in the order they were written.
///
/// Lookups are linear: Kubernetes objects have small maps, and keeping one ordered array
/// makes copies cheap and output deterministic.
public struct Mapping: Sendable, Hashable, Sequence {
    /// One key and its value, with where the key was written.
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: Value
        /// Where the key was written, compactly; `.none` for entries Sluice made itself.
        public var keyNodeLocation: NodeLocation

        public init(key: String, value: Value, keyLocation: SourceLocation? = nil) {
            self.key = key
            self.value = value
            self.keyNodeLocation = NodeLocation(keyLocation)
        }

        @inlinable public init(key: String, value: Value, keyLocation: NodeLocation) {
            self.key = key
            self.value = value
            self.keyNodeLocation = keyLocation
        }

        public var keyLocation: SourceLocation? {
            get { keyNodeLocation.sourceLocation }
            set { keyNodeLocation = NodeLocation(newValue) }
        }

        /// Where the key was written, or else its value.
        public var keyOrValueLocation: NodeLocation { keyNodeLocation.or(value.nodeLocation) }

        public static func == (a: Entry, b: Entry) -> Bool { a.key == b.key && a.value == b.value }
        public func hash(into h: inout Hasher) { h.combine(key); h.combine(value) }
    }

    public private(set) var entries: [Entry]

    public init() { entries = [] }
    public init(_ entries: [Entry]) { self.entries = entries }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }

    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }

    public func index(of key: String) -> Int? { entries.firstIndex { $0.key == key } }

    /// The value for `key`. Setting `nil` removes the key; setting a new key appends it.
    public subscript(key: String) -> Value? {
        get { index(of: key).map { entries[$0].value } }
        set {
            if let i = index(of: key) {
                if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append(Entry(key: key, value: newValue, keyLocation: NodeLocation.none))
            }
        }
    }

    /// Runs `body` on the value of `key`, changed in place; a missing key is appended first with
    /// the value `initial`.
    public mutating func modifyValue<R>(forKey key: String, adding initial: @autoclosure () -> Value,
                                        _ body: (inout Value) throws -> R) rethrows -> R {
        let i: Int
        if let found = index(of: key) {
            i = found
        } else {
            entries.append(Entry(key: key, value: initial(), keyLocation: NodeLocation.none))
            i = entries.count - 1
        }
        return try body(&entries[i].value)
    }

    /// The entry for `key`, with its key location.
    public func entry(_ key: String) -> Entry? { index(of: key).map { entries[$0] } }

    /// Appends an entry without checking for an existing key; the parser checks duplicates itself.
    public mutating func append(_ entry: Entry) { entries.append(entry) }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> Value? {
        guard let i = index(of: key) else { return nil }
        return entries.remove(at: i).value
    }

    /// The same entries ordered by key: used where output must not depend on input order.
    public var sortedByKey: Mapping { Mapping(entries.sorted { $0.key < $1.key }) }

    public static func == (a: Mapping, b: Mapping) -> Bool {
        // Maps are equal regardless of key order, as in JSON.
        guard a.count == b.count else { return false }
        for e in a.entries {
            guard let other = b[e.key], other == e.value else { return false }
        }
        return true
    }

    public func hash(into h: inout Hasher) {
        // Order-independent, to agree with ==.
        var acc = 0
        for e in entries {
            var eh = Hasher()
            eh.combine(e.key)
            eh.combine(e.value)
            acc ^= eh.finalize()
        }
        h.combine(count)
        h.combine(acc)
    }
}
