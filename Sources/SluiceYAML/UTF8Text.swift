/// `String`s made from bytes the parser has already checked (libyaml validates UTF-8 as it
/// reads), by the cheapest public path for their length.
enum UTF8Text {
    /// The text of `bytes`, with invalid UTF-8 repaired as `String(decoding:as:)` repairs it.
    ///
    /// Up to 15 bytes, a `String` is stored inline. `String(unsafeUninitializedCapacity:)` builds
    /// such a string in place, inlined into the caller, and checks it for ASCII with one mask:
    /// less than half the instructions of `String(decoding:as:)`, which validates and copies
    /// through two calls into the standard library. Longer text needs a heap block either way, and
    /// there `String(decoding:as:)` is the cheaper of the two (`ParserInternalsTests` compares them).
    @inline(__always) static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let count = bytes.count
        guard count <= 15, let source = bytes.baseAddress else { return String(decoding: bytes, as: UTF8.self) }
        return String(unsafeUninitializedCapacity: count) { target in
            target.baseAddress!.initialize(from: source, count: count)
            return count
        }
    }
}
