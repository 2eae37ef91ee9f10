/// A cheap stand-in for a map key's text in the parser's duplicate check: keys with different
/// fingerprints are different, so the check compares `String`s only when fingerprints match.
/// Comparing the `String`s of every earlier key of a map was a tenth of the tree's cost.
///
/// Swift compares strings by canonical equivalence, under which text with non-ASCII bytes
/// can equal other text ("\u{212A}" == "K"): such keys get fingerprint 0, which matches every key.
enum KeyFingerprint {
    static func of(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        var high: UInt8 = 0
        for b in bytes {
            high |= b
            hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3
        }
        return high & 0x80 != 0 ? 0 : hash | 1
    }

    static func of(_ key: String) -> UInt64 {
        var key = key
        return key.withUTF8 { of($0) }
    }

    @inline(__always) static func mayBeEqual(_ a: UInt64, _ b: UInt64) -> Bool {
        a == b || a == 0 || b == 0
    }
}
