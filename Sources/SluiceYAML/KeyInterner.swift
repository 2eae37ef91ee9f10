#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Map keys (and long string values) read once and shared by every map that repeats them.
///
/// Keys of up to 15 UTF-8 bytes are stored inside the `String` itself; longer ones
/// (`taskmanager.numberOfTaskSlots`, `f:execution.checkpointing.interval`, `creationTimestamp`)
/// each cost a heap allocation per map they appear in. A Kubernetes list of 10,000 objects, or
/// 10,000 spec files, repeats the same few hundred keys: read through one interner they are
/// allocated once. Bounded: past `capacity` distinct keys, new keys are no longer remembered.
///
/// Keys longer than `longestStored` bytes are never stored: an interner may live as long as the
/// process (the one each pooled parse reuses does), and its memory stays bounded by
/// `capacity` times that length whatever the input.
///
/// A long key is stored on its second sighting, not its first: the first only records its hash.
/// Most parses read one small file whose long keys are all different, and storing each of them (a
/// retained `String` in a table that grew and was torn down again) cost more than the parse
/// spent on its whole tree above libyaml's work, for nothing shared.
///
/// The record of sightings is small and fixed: one hash per slot, a new sighting taking the slot
/// of an older one. Spec files hold thousands of long values seen once (names, paths, URLs): a
/// table that kept every hash filled up with them, grew four times and was emptied again, and
/// each probe missed the cache (2 % of the time of parses that go through the pooled interner
/// again and again, past its capacity). A string that repeats from file to file is seen again
/// before its record is taken over; one that is not, is recorded again and stored on its next
/// reading.
///
/// A short key is stored on its first reading, in a table of its own keyed by its `PackedText`.
/// It lives inside its `String`: storing it costs a slot and no heap block, and finding it again
/// (two word comparisons) takes a third of the instructions of building the `String`. Short
/// values are not stored: half of them are names that do not repeat, and a table of the rest
/// cost more in cache misses than it saved in instructions.
///
/// An interner is used by one parse at a time (the parser's caller owns it), so its tables skip
/// the runtime's dynamic exclusivity checks: three checks per long key cost more than the lookup.
public final class KeyInterner {
    /// Stored long keys and values, by hash (open addressing, linear probing), once seen twice.
    @exclusivity(unchecked) private var slots: [String?] = []
    @exclusivity(unchecked) private var longCount = 0
    /// Stored short keys.
    @exclusivity(unchecked) private var shortKeys = PackedStrings()
    /// Hashes (with the low bit set, so 0 means empty) of long keys seen once, one per slot
    /// picked by the hash: `sightingSlots` of them, allocated on the first long key.
    @exclusivity(unchecked) private var sightings: [UInt64] = []
    private let capacity: Int
    private let sightingSlots: Int

    /// The most sightings an interner records: 8 KiB, which stays in the L1 cache beside libyaml's
    /// data.
    static let maxSightingSlots = 1024

    /// The longest key stored, in UTF-8 bytes. Kubernetes keys are far shorter (a label key is at
    /// most 317 bytes, and those in specs and responses are under 64).
    public static let longestStored = 128

    /// An interner that stores at most `capacity` keys, and records the most recent long keys
    /// seen once in at most `maxSightingSlots` slots (fewer when `capacity` is smaller).
    public init(capacity: Int = 8192) {
        self.capacity = capacity
        var slots = 16
        while slots < min(capacity, Self.maxSightingSlots) { slots *= 2 }
        sightingSlots = slots
    }

    /// Whether the interner stopped remembering: it holds `capacity` keys.
    var isFull: Bool { longCount + shortKeys.count >= capacity }

    /// The number of sightings the interner can record (for tests).
    var sightingCapacity: Int { sightings.count }

    /// Empties the tables if they are full, so that strings read early (a fuzzer's, a hostile
    /// file's) cannot keep later parses from sharing theirs. The record of sightings is never
    /// full: it keeps the most recent ones.
    func forgetFullTables() {
        if isFull {
            slots = []
            longCount = 0
            shortKeys = PackedStrings()
        }
    }

    /// The key spelled by `bytes` (valid UTF-8), shared when it was seen before.
    func key(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.count > PackedText.maxCount else {
            let packed = PackedText(bytes)
            return shortKey(packed, hash: packed.hash, bytes)
        }
        return key(bytes, hash: KeyFingerprint.hashAndASCII(bytes).hash)
    }

    /// The short key `packed` packs (whose `PackedText.hash` is `hash`), spelled by `bytes`.
    @inline(__always) func shortKey(_ packed: PackedText, hash: UInt64, _ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if let key = shortKeys.find(packed, hash: hash) { return key }
        let key = UTF8Text.string(bytes)
        if longCount + shortKeys.count < capacity { shortKeys.insert(key, packed, hash: hash) }
        return key
    }

    /// A string value spelled by `bytes` (valid UTF-8). A long one is shared like a long key when
    /// it was seen before: API versions, images, modes and namespaces repeat from file to file,
    /// and a shared one is neither allocated nor freed.
    @inline(__always) func value(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.count > PackedText.maxCount else { return UTF8Text.string(bytes) }
        return key(bytes, hash: KeyFingerprint.hashAndASCII(bytes).hash)
    }

    /// The key spelled by `bytes`, whose `KeyFingerprint.hashAndASCII` hash the caller has already
    /// (a short key is found by its packing instead, and the hash is not used).
    func key(_ bytes: UnsafeBufferPointer<UInt8>, hash: UInt64) -> String {
        guard bytes.count > PackedText.maxCount else {
            let packed = PackedText(bytes)
            return shortKey(packed, hash: packed.hash, bytes)
        }
        guard bytes.count <= Self.longestStored else { return String(decoding: bytes, as: UTF8.self) }
        if !slots.isEmpty {
            let mask = slots.count - 1
            var i = Int(truncatingIfNeeded: hash) & mask
            while let existing = slots[i] {
                if Self.equal(existing, bytes) { return existing }
                i = (i + 1) & mask
            }
        }
        let key = UTF8Text.string(bytes)
        // A hash seen before may be another key's (a collision): that key is then stored early,
        // which costs a slot and changes nothing else.
        guard longCount + shortKeys.count < capacity, sawBefore(hash) else { return key }
        store(key, hash: hash)
        return key
    }

    /// Whether a long key with `hash` was read recently; records it when not, in place of the
    /// sighting whose slot it takes.
    private func sawBefore(_ hash: UInt64) -> Bool {
        let tagged = hash | 1
        if sightings.isEmpty { sightings = Array(repeating: 0, count: sightingSlots) }
        // The slots of `slots` come from the low bits; these come from others.
        let i = Int(truncatingIfNeeded: hash >> 7) & (sightingSlots - 1)
        if sightings[i] == tagged { return true }
        sightings[i] = tagged
        return false
    }

    private func store(_ key: String, hash: UInt64) {
        if slots.isEmpty { slots = Array(repeating: nil, count: 16) }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i] != nil { i = (i + 1) & mask }
        slots[i] = key
        longCount += 1
        if longCount * 2 > slots.count { growSlots() }
    }

    @inline(__always) private static func equal(_ s: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let fast = s.utf8.withContiguousStorageIfAvailable { stored -> Bool in
            stored.count == bytes.count && (bytes.count == 0 || memcmp(stored.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
        }
        return fast ?? s.utf8.elementsEqual(bytes)
    }

    private func growSlots() {
        let old = slots
        slots = Array(repeating: nil, count: old.count * 2)
        let mask = slots.count - 1
        for case let key? in old {
            var copy = key
            let hash = copy.withUTF8 { KeyFingerprint.hashAndASCII($0).hash }
            var i = Int(truncatingIfNeeded: hash) & mask
            while slots[i] != nil { i = (i + 1) & mask }
            slots[i] = key
        }
    }
}

/// Strings of up to `PackedText.maxCount` bytes by their packing (open addressing, linear
/// probing, at most half full).
private struct PackedStrings {
    private struct Slot {
        /// `PackedText.empty` in an empty slot.
        var packed: PackedText
        var string: String
    }

    private var slots: [Slot] = []
    private(set) var count = 0

    @inline(__always) func find(_ packed: PackedText, hash: UInt64) -> String? {
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i].packed != .empty {
            if slots[i].packed == packed { return slots[i].string }
            i = (i + 1) & mask
        }
        return nil
    }

    /// Stores `string`, which `packed` packs and is not stored yet.
    mutating func insert(_ string: String, _ packed: PackedText, hash: UInt64) {
        if slots.isEmpty { slots = Array(repeating: Slot(packed: .empty, string: ""), count: 16) }
        place(Slot(packed: packed, string: string), hash: hash)
        count += 1
        if count * 2 > slots.count {
            let old = slots
            slots = Array(repeating: Slot(packed: .empty, string: ""), count: old.count * 2)
            for slot in old where slot.packed != .empty { place(slot, hash: slot.packed.hash) }
        }
    }

    private mutating func place(_ slot: Slot, hash: UInt64) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i].packed != .empty { i = (i + 1) & mask }
        slots[i] = slot
    }
}
