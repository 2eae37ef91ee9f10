import SluiceYAML

/// Sharing storage between two values that are mostly the same data.
///
/// A long-running service keeps, per object, the desired value it rendered and the live value a
/// cluster gave back: at 10,000 objects two trees of nearly the same data. The live tree is
/// rebuilt here so that every subtree equal to the desired one at the same place *is* the
/// desired one (the same storage, one reference more), and only the parts that differ (a
/// revision stamp, a drifted field) keep storage of their own.
extension Value {
    /// A value equal to this one (`==`) whose subtrees equal to `other`'s at the same key path
    /// are `other`'s own nodes.
    ///
    /// Shared nodes carry `other`'s locations: locations are not part of a value's data. A map
    /// equal to `other`'s as a whole is `other`'s, in `other`'s key order (maps are equal
    /// regardless of order); a map that differs keeps this value's key order. A list is shared
    /// element by element when both lists are as long.
    public func sharingStorage(with other: Value) -> Value {
        Self.share(self, other).value
    }

    /// `value` is equal to `own`; `same` says it is `other` itself (so `own == other`).
    private static func share(_ own: Value, _ other: Value) -> (value: Value, same: Bool) {
        switch (own.kind, other.kind) {
        case (.null, .null):
            return (other, true)
        case let (.bool(a), .bool(b)) where a == b:
            return (other, true)
        case let (.int(a), .int(b)) where a == b:
            return (other, true)
        case let (.double(a), .double(b)) where a.bitPattern == b.bitPattern:
            return (other, true)
        // Bytes, not `==`: Swift's string equality counts canonically equivalent text as equal,
        // and a live value must keep the bytes the cluster sent (CEL compares code points).
        case let (.string(a), .string(b)) where a.utf8.elementsEqual(b.utf8):
            return (other, true)
        case let (.list(a), .list(b)) where a.count == b.count:
            var elements = a
            var same = true
            for index in elements.indices {
                let shared = share(a[index], b[index])
                elements[index] = shared.value
                same = same && shared.same
            }
            return same ? (other, true) : (Value(.list(elements), at: own.nodeLocation), false)
        case let (.map(a), .map(b)):
            var entries = a.entries
            var same = a.count == b.count
            for index in entries.indices {
                guard let match = b.entry(entries[index].key), match.key.utf8.elementsEqual(entries[index].key.utf8) else {
                    same = false
                    continue
                }
                let shared = share(entries[index].value, match.value)
                entries[index] = Mapping.Entry(key: match.key, value: shared.value, keyLocation: entries[index].keyNodeLocation)
                same = same && shared.same
            }
            // Same count and every key of `own` found in `other` with an equal value: equal maps.
            return same ? (other, true) : (Value(.map(Mapping(entries)), at: own.nodeLocation), false)
        default:
            return (own, false)
        }
    }
}
