import Foundation
import SluiceYAML

/// A value compared as CEL sees it once converted: kinds exact (an int is not a double), map
/// entries in order (comprehensions iterate in that order), strings by their UTF-8 bytes (CEL
/// compares code points, not canonical equivalence), doubles by bit pattern, locations ignored.
/// `Value`'s own equality is looser (key order and Unicode equivalence do not count), so it
/// cannot decide when two evaluations would see the same input.
struct ExactValue: Hashable, Sendable {
    let value: Value
    private let digest: Int

    init(_ value: Value) {
        self.value = value
        var hasher = Hasher()
        Self.feed(value, &hasher)
        digest = hasher.finalize()
    }

    func hash(into hasher: inout Hasher) { hasher.combine(digest) }

    static func == (a: ExactValue, b: ExactValue) -> Bool {
        a.digest == b.digest && same(a.value, b.value)
    }

    private static func feed(_ value: Value, _ h: inout Hasher) {
        switch value.kind {
        case .null: h.combine(0 as UInt8)
        case .bool(let b): h.combine(1 as UInt8); h.combine(b)
        case .int(let i): h.combine(2 as UInt8); h.combine(i)
        case .double(let d): h.combine(3 as UInt8); h.combine(d.bitPattern)
        case .string(let s): h.combine(4 as UInt8); feed(s, &h)
        case .list(let items):
            h.combine(5 as UInt8)
            h.combine(items.count)
            for item in items { feed(item, &h) }
        case .map(let map):
            h.combine(6 as UInt8)
            h.combine(map.count)
            for entry in map {
                feed(entry.key, &h)
                feed(entry.value, &h)
            }
        }
    }

    private static func feed(_ s: String, _ h: inout Hasher) {
        h.combine(s.utf8.count)
        var s = s
        s.withUTF8 { h.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Whether two arrays are one storage (so the same elements): no element need be compared.
    private static func sharesStorage<T>(_ a: [T], _ b: [T]) -> Bool {
        a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress && x.count == y.count } }
    }

    private static func same(_ a: Value, _ b: Value) -> Bool {
        switch (a.kind, b.kind) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x.bitPattern == y.bitPattern
        case let (.string(x), .string(y)): return x.utf8.elementsEqual(y.utf8)
        case let (.list(x), .list(y)):
            return x.count == y.count && (sharesStorage(x, y) || zip(x, y).allSatisfy { same($0, $1) })
        case let (.map(x), .map(y)):
            guard x.count == y.count else { return false }
            // The renderer gives the clusters that place a job alike one shared object.
            if sharesStorage(x.entries, y.entries) { return true }
            return zip(x.entries, y.entries).allSatisfy { $0.key.utf8.elementsEqual($1.key.utf8) && same($0.value, $1.value) }
        default: return false
        }
    }
}

/// The `ExactValue` of each storage met while the subjects of one `PolicyEngine.evaluate` find
/// their slot values, so that a shared object is hashed once, not once per subject. It holds
/// every value it keys by, so no address in it can be reused while it lives. Used from all cores.
final class ExactValueMemo: @unchecked Sendable {
    private let lock = NSLock()
    private var known: [StorageIdentity: ExactValue] = [:]
    /// How many values were hashed whole (for tests).
    private(set) var hashed = 0

    func exact(_ value: Value) -> ExactValue {
        guard let identity = StorageIdentity(value) else { return ExactValue(value) }
        if let found = lock.withLock({ known[identity] }) { return found }
        // Hashed outside the lock; two cores may both hash one storage, and either answer is right.
        let made = ExactValue(value)
        lock.withLock {
            known[identity] = made
            hashed += 1
        }
        return made
    }
}

/// Which parts of the evaluation inputs a policy's expressions can read (see
/// `CELProgram.referencedVariables`): `object` whole, `cluster.tier`, ... Two subjects that agree
/// on all of them get the same results from the policy, so it is evaluated once for both.
struct InputReads: Sendable, Hashable {
    /// (input, field) pairs, sorted; a `nil` field reads the input whole.
    var slots: [Slot]
    /// Each slot's number among all the slots of the policies evaluated together (`numbered`),
    /// so that a subject's slot cache is an array, not a table hashed by two strings.
    private(set) var numbers: [Int]

    struct Slot: Sendable, Hashable, Comparable {
        var input: SubjectInput
        var field: String?

        static func < (a: Slot, b: Slot) -> Bool { (a.input.rawValue, a.field ?? "") < (b.input.rawValue, b.field ?? "") }
    }

    init(_ references: [[String: Set<String>?]]) {
        var merged: [SubjectInput: Set<String>?] = [:]
        for found in references {
            for (name, fields) in found {
                guard let name = SubjectInput(rawValue: name) else { continue }
                switch (merged[name], fields) {
                case (.some(.none), _): break
                case (_, .none): merged[name] = .some(nil)
                case (.none, .some(let f)): merged[name] = .some(f)
                case (.some(.some(let known)), .some(let f)): merged[name] = .some(known.union(f))
                }
            }
        }
        slots = merged.flatMap { name, fields -> [Slot] in
            guard let fields else { return [Slot(input: name, field: nil)] }
            return fields.map { Slot(input: name, field: $0) }
        }.sorted()
        numbers = Array(slots.indices)
    }

    /// Numbers the slots of all `reads` together: one slot read by several policies has one number.
    /// Returns them numbered, and how many numbers there are.
    static func numbered(_ reads: [InputReads]) -> (reads: [InputReads], count: Int) {
        var known: [Slot: Int] = [:]
        let out = reads.map { read in
            var numbered = read
            numbered.numbers = read.slots.map { slot in
                if let n = known[slot] { return n }
                known[slot] = known.count
                return known.count - 1
            }
            return numbered
        }
        return (out, known.count)
    }

    /// What a subject holds in one slot.
    enum SlotValue: Sendable, Hashable {
        /// The input or field is missing.
        case absent
        case value(ExactValue)
        /// A field of an input that is not a map: selecting any field fails the same way only
        /// for the same value, so the value itself is the key.
        case notAMap(ExactValue)

        /// Slot values whose storages are one are the same slot value.
        struct Storage: Hashable {
            var identity: StorageIdentity
            var notAMap: Bool
        }

        var storage: Storage? {
            switch self {
            case .absent: nil
            case .value(let v): StorageIdentity(v.value).map { Storage(identity: $0, notAMap: false) }
            case .notAMap(let v): StorageIdentity(v.value).map { Storage(identity: $0, notAMap: true) }
            }
        }
    }

    /// Where the values of the slots in `inputs` are in `values`: each slot's value is found once
    /// per subject and appended to `values`, and `cache` (by slot number, -1 for not yet found)
    /// keeps its place there across policies.
    func key(_ inputs: SubjectInputs, cache: inout [Int], values: inout [SlotValue], memo: ExactValueMemo? = nil) -> [Int] {
        func exact(_ value: Value) -> ExactValue { memo?.exact(value) ?? ExactValue(value) }
        return zip(slots, numbers).map { slot, number in
            if cache.indices.contains(number), cache[number] >= 0 { return cache[number] }
            let found: SlotValue
            switch (inputs[slot.input], slot.field) {
            case (let whole, nil): found = .value(exact(whole))
            case (let whole, let field?):
                if let map = whole.mapValue {
                    found = map[field].map { .value(exact($0)) } ?? .absent
                } else {
                    found = .notAMap(exact(whole))
                }
            }
            values.append(found)
            if number >= cache.count { cache += repeatElement(-1, count: number + 1 - cache.count) }
            cache[number] = values.count - 1
            return values.count - 1
        }
    }
}
