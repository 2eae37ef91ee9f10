/// A cheap stand-in for a map key's text in the parser's duplicate check: keys with different
/// fingerprints are different, so the check compares `String`s only when fingerprints match.
/// Comparing the `String`s of every earlier key of a map was a tenth of the tree's cost.
///
/// Swift compares strings by canonical equivalence, under which text with non-ASCII bytes
/// can equal other text ("\u{212A}" == "K"): such keys get fingerprint 0, which matches every key.
enum KeyFingerprint {
    /// The fingerprint of the key spelled by `bytes`: of its packing when it is short, as the
    /// parser reads short keys, so a key has one fingerprint whichever way it was read.
    static func of(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        if bytes.count <= PackedText.maxCount { return of(PackedText(bytes)) }
        let (hash, ascii) = hashAndASCII(bytes)
        return ofLong(hash: hash, ascii: ascii)
    }

    @inline(__always) static func of(_ packed: PackedText) -> UInt64 {
        of(packed, hash: packed.hash)
    }

    /// The fingerprint of a short key whose `PackedText.hash` the caller has already.
    @inline(__always) static func of(_ packed: PackedText, hash: UInt64) -> UInt64 {
        packed.isASCII ? hash | 1 : 0
    }

    /// The fingerprint of a key longer than `PackedText.maxCount`, from its `hashAndASCII`.
    @inline(__always) static func ofLong(hash: UInt64, ascii: Bool) -> UInt64 {
        ascii ? hash | 1 : 0
    }

    static func of(_ key: String) -> UInt64 {
        var key = key
        return key.withUTF8 { of($0) }
    }

    @inline(__always) static func mayBeEqual(_ a: UInt64, _ b: UInt64) -> Bool {
        a == b || a == 0 || b == 0
    }

    /// A 64-bit hash of `bytes`, and whether they are all ASCII. Eight bytes at a time: hashing
    /// byte by byte (FNV-1a) was a chain of dependent multiplications, the parser's costliest
    /// loop per key. Equal byte strings hash equally; the length is mixed in, so zero bytes at
    /// the end of a key do not vanish into the padding of its last word.
    static func hashAndASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> (hash: UInt64, ascii: Bool) {
        let count = bytes.count
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: count)
        var high: UInt64 = 0
        guard let base = bytes.baseAddress else { return (mix(hash), true) }
        let raw = UnsafeRawPointer(base)
        var offset = 0
        while offset + 8 <= count {
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            high |= word
            hash = step(hash, word)
            offset += 8
        }
        if offset < count, count >= 8 {
            // The last word, read overlapping the one before and shifted down to the bytes not yet hashed.
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)) >> UInt64(8 * (8 - (count - offset)))
            high |= word
            hash = step(hash, word)
        } else if offset < count {
            var word: UInt64 = 0
            var shift: UInt64 = 0
            while offset < count {
                word |= UInt64(base[offset]) << shift
                shift += 8
                offset += 1
            }
            high |= word
            hash = step(hash, word)
        }
        return (mix(hash), high & 0x8080_8080_8080_8080 == 0)
    }

    @inline(__always) private static func step(_ hash: UInt64, _ word: UInt64) -> UInt64 {
        let x = (hash ^ word) &* 0x9E37_79B9_7F4A_7C15
        return x ^ (x >> 29)
    }

    /// A multiply-xorshift mixer (the finaliser of MurmurHash3's 64-bit variant).
    @inline(__always) private static func mix(_ x: UInt64) -> UInt64 {
        var x = x
        x = (x ^ (x >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        x = (x ^ (x >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        return x ^ (x >> 33)
    }
}
