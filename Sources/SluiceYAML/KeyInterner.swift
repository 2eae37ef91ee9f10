#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Map keys read once and shared by every map that repeats them.
///
/// Keys of up to 15 UTF-8 bytes are stored inside the `String` itself; longer ones
/// (`taskmanager.numberOfTaskSlots`, `f:execution.checkpointing.interval`, `creationTimestamp`)
/// each cost a heap allocation per map they appear in. A Kubernetes list of 10,000 objects, or
/// 10,000 spec files, repeats the same few hundred keys: read through one interner they are
/// allocated once. Bounded: past `capacity` distinct keys, new keys are no longer remembered.
public final class KeyInterner {
    private var slots: [String?]
    private var count = 0
    private let capacity: Int

    public init(capacity: Int = 8192) {
        self.capacity = capacity
        // The table is made on the first long key: most single-file parses (a kubeconfig, a
        // policy, a benchmark's file) would otherwise allocate, and free, 64 empty slots.
        slots = []
    }

    /// The key spelled by `bytes` (valid UTF-8), shared when it was seen before.
    func key(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.count > 15 else { return String(decoding: bytes, as: UTF8.self) }
        if slots.isEmpty { slots = Array(repeating: nil, count: 16) }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while let existing = slots[i] {
            if Self.equal(existing, bytes) { return existing }
            i = (i + 1) & mask
        }
        let key = String(decoding: bytes, as: UTF8.self)
        guard count < capacity else { return key }
        slots[i] = key
        count += 1
        if count * 2 > slots.count { grow() }
        return key
    }

    private static func equal(_ s: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let fast = s.utf8.withContiguousStorageIfAvailable { stored -> Bool in
            stored.count == bytes.count && (bytes.count == 0 || memcmp(stored.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
        }
        return fast ?? s.utf8.elementsEqual(bytes)
    }

    private func grow() {
        let old = slots
        slots = Array(repeating: nil, count: old.count * 2)
        let mask = slots.count - 1
        for case let key? in old {
            var copy = key
            let hash = copy.withUTF8 { bytes in
                var hash: UInt64 = 0xcbf2_9ce4_8422_2325
                for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
                return hash
            }
            var i = Int(truncatingIfNeeded: hash) & mask
            while slots[i] != nil { i = (i + 1) & mask }
            slots[i] = key
        }
    }
}
