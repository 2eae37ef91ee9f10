/// Text of at most 15 UTF-8 bytes packed into two words, for the parser's most frequent string:
/// a short map key.
///
/// Equal texts pack equally and different texts differently (the length sits in the top byte
/// of `high`, so a trailing NUL is not lost in the padding). Two packings therefore compare as
/// text in two word comparisons, and the key interner finds a short key by its packing without
/// reading the bytes again or building its `String`.
struct PackedText: Equatable {
    /// The longest text that packs: a `String` of up to 15 bytes is stored inline too.
    static let maxCount = 15

    /// Bytes 0 to 7, little-endian, zero past the end.
    let low: UInt64
    /// Bytes 8 to 14 in the low seven bytes, zero past the end; the top byte is the length plus
    /// one, so no packing is all zero (the key interner's empty slot).
    let high: UInt64

    /// The packing of nothing, marking an empty slot.
    static let empty = PackedText(low: 0, high: 0)

    private init(low: UInt64, high: UInt64) {
        self.low = low
        self.high = high
    }

    /// Packs `bytes`, which must be at most `maxCount` long. Never reads past their end: short
    /// texts are read as two overlapping halves, as word-at-a-time hashes read them.
    @inline(__always) init(_ bytes: UnsafeBufferPointer<UInt8>) {
        let count = bytes.count
        precondition(count <= Self.maxCount)
        var low: UInt64 = 0
        var high: UInt64 = 0
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            if count >= 8 {
                low = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
                if count > 8 {
                    // Bytes count-8 ..< count, shifted down past the ones `low` has.
                    let last = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
                    high = last >> UInt64(8 * (16 - count))
                }
            } else if count >= 4 {
                let first = UInt64(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
                let last = UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)))
                low = first | (last >> UInt64(8 * (8 - count))) << 32
            } else if count > 0 {
                // One to three bytes: the first, the middle and the last (which coincide when short).
                let middle = count >> 1
                low = UInt64(base[0]) | UInt64(base[middle]) << UInt64(8 * middle) | UInt64(base[count - 1]) << UInt64(8 * (count - 1))
            }
        }
        self.low = low
        self.high = high | UInt64(count + 1) << 56
    }

    var count: Int { Int(high >> 56) - 1 }

    var isASCII: Bool { (low | high & 0x00FF_FFFF_FFFF_FFFF) & 0x8080_8080_8080_8080 == 0 }

    /// A hash of the text whose low bits depend on every byte: tables pick slots by them.
    ///
    /// A product's low bits depend only on its factors' low bits, so the high halves are folded
    /// down before multiplying. Without that fold, names that differ only in their last bytes
    /// (`job-0001`, `job-0002`) all landed in a few slots: 50 probes a lookup in the spec corpus.
    @inline(__always) var hash: UInt64 {
        var x = low ^ (high &* 0x9E37_79B9_7F4A_7C15)
        x = (x ^ (x >> 32)) &* 0xC2B2_AE3D_27D4_EB4F
        return x ^ (x >> 29)
    }
}
