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
/// spent on its whole tree above libyaml's work, for nothing shared. A short key is stored on its
/// first reading: it costs only a slot, and a lookup is cheaper than building it again.
///
/// An interner is used by one parse at a time (the parser's caller owns it), so its tables skip
/// the runtime's dynamic exclusivity checks: three checks per long key cost more than the lookup.
public final class KeyInterner {
    /// Stored keys, by hash (open addressing, linear probing): short ones, and long ones seen twice.
    @exclusivity(unchecked) private var slots: [String?] = []
    @exclusivity(unchecked) private var count = 0
    /// Hashes (with the low bit set, so 0 means empty) of long keys seen once.
    @exclusivity(unchecked) private var sightings: [UInt64] = []
    @exclusivity(unchecked) private var sightingCount = 0
    private let capacity: Int

    /// The longest key stored, in UTF-8 bytes. Kubernetes keys are far shorter (a label key is at
    /// most 317 bytes, and those in specs and responses are under 64).
    public static let longestStored = 128

    public init(capacity: Int = 8192) {
        self.capacity = capacity
    }

    /// Whether the interner stopped remembering keys: `capacity` keys stored, or as many long keys
    /// seen once.
    var isFull: Bool { count >= capacity || sightingCount >= capacity }

    /// The key spelled by `bytes` (valid UTF-8), shared when it was seen before.
    func key(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.count > 15 else { return UTF8Text.string(bytes) }
        return key(bytes, hash: KeyFingerprint.hashAndASCII(bytes).hash)
    }

    /// The key spelled by `bytes`, whose `KeyFingerprint.hashAndASCII` hash the caller has already.
    ///
    /// Short keys are stored too, on their first reading: such a key lives inside its `String`, so
    /// storing it costs a slot and no heap block, and each later reading is a table lookup
    /// instead of building the `String` again (the parser's most frequent string).
    func key(_ bytes: UnsafeBufferPointer<UInt8>, hash: UInt64) -> String {
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
        guard count < capacity, bytes.count <= 15 || sawBefore(hash) else { return key }
        store(key, hash: hash)
        return key
    }

    /// Whether a long key with `hash` was read before; records it when not.
    private func sawBefore(_ hash: UInt64) -> Bool {
        let tagged = hash | 1
        if sightings.isEmpty { sightings = Array(repeating: 0, count: 32) }
        let mask = sightings.count - 1
        var i = Int(truncatingIfNeeded: hash >> 7) & mask
        while sightings[i] != 0 {
            if sightings[i] == tagged { return true }
            i = (i + 1) & mask
        }
        guard sightingCount < capacity else { return false }
        sightings[i] = tagged
        sightingCount += 1
        if sightingCount * 2 > sightings.count { growSightings() }
        return false
    }

    private func store(_ key: String, hash: UInt64) {
        if slots.isEmpty { slots = Array(repeating: nil, count: 16) }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i] != nil { i = (i + 1) & mask }
        slots[i] = key
        count += 1
        if count * 2 > slots.count { growSlots() }
    }

    @inline(__always) private static func equal(_ s: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let fast = s.utf8.withContiguousStorageIfAvailable { stored -> Bool in
            stored.count == bytes.count && (bytes.count == 0 || memcmp(stored.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
        }
        return fast ?? s.utf8.elementsEqual(bytes)
    }

    private func growSightings() {
        let old = sightings
        sightings = Array(repeating: 0, count: old.count * 2)
        let mask = sightings.count - 1
        for tagged in old where tagged != 0 {
            var i = Int(truncatingIfNeeded: tagged >> 7) & mask
            while sightings[i] != 0 { i = (i + 1) & mask }
            sightings[i] = tagged
        }
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
