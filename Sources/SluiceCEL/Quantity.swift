/// A Kubernetes resource quantity (`500m`, `1.5Gi`, `2e3`), held exactly as a whole number of
/// nano-units (10⁻⁹).
///
/// Parsing follows Kubernetes: a value finer than a nano-unit is rounded up (away from zero) to
/// the next nano-unit, so that asking for "a little" never becomes nothing, and a value whose
/// magnitude exceeds 2⁶³-1 is capped at ±(2⁶³-1). Within those bounds every quantity is exact, so
/// `1Gi == 1024Mi` and comparisons never suffer from floating point. Sums and differences are
/// exact too, and fail with an error only beyond ±1.7·10²⁹ (the range of `Int128` nano-units),
/// which no sequence of a few additions of parsed quantities can reach.
public struct KubernetesQuantity: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The value in nano-units.
    public let nanos: Int128

    static let nanosPerUnit: Int128 = 1_000_000_000
    /// The largest magnitude a parsed quantity has: 2⁶³-1 units.
    static let maxParsedNanos = Int128(Int64.max) * nanosPerUnit
    /// The number of decimal digits of `maxParsedNanos`; anything longer is over it.
    static let maxParsedDigits = 28

    /// The quantity of `nanos` nano-units (no cap applies).
    public init(nanos: Int128) { self.nanos = nanos }

    /// The whole number `integer`, as `add(int)` and `sub(int)` take it.
    public init(_ integer: Int64) { self.nanos = Int128(integer) * Self.nanosPerUnit }

    /// Orders by value.
    public static func < (a: Self, b: Self) -> Bool { a.nanos < b.nanos }

    /// -1, 0 or 1.
    public var sign: Int { nanos < 0 ? -1 : nanos > 0 ? 1 : 0 }

    /// The value as an `Int64`, or `nil` when it has a fraction or does not fit.
    public var integerValue: Int64? {
        let (whole, fraction) = nanos.quotientAndRemainder(dividingBy: Self.nanosPerUnit)
        guard fraction == 0 else { return nil }
        return Int64(exactly: whole)
    }

    /// The nearest `Double` (exact for whole numbers up to 2⁵³).
    public var approximateDouble: Double {
        let (whole, fraction) = nanos.quotientAndRemainder(dividingBy: Self.nanosPerUnit)
        return Double(whole) + Double(fraction) / 1e9
    }

    /// The exact sum, or `nil` beyond the range of `Int128` nano-units.
    public func adding(_ other: Self) -> Self? {
        let (sum, overflow) = nanos.addingReportingOverflow(other.nanos)
        return overflow ? nil : Self(nanos: sum)
    }

    /// The exact difference, or `nil` beyond the range of `Int128` nano-units.
    public func subtracting(_ other: Self) -> Self? {
        let (difference, overflow) = nanos.subtractingReportingOverflow(other.nanos)
        return overflow ? nil : Self(nanos: difference)
    }

    /// A plain decimal (`1073741824`, `0.5`, `-0.001`): exact, though not Kubernetes' canonical
    /// suffixed form.
    public var description: String {
        let magnitude = nanos.magnitude
        let whole = magnitude / UInt128(Self.nanosPerUnit), fraction = magnitude % UInt128(Self.nanosPerUnit)
        var text = (nanos < 0 ? "-" : "") + String(whole)
        if fraction != 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 9 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text
    }

    // MARK: - Parsing

    /// Why a text is not a quantity.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        /// The text that was given.
        public let text: String
        /// What is wrong with it.
        public let reason: String
        public var description: String {
            "quantity '\(text)' is invalid: \(reason); a quantity is a number with an optional suffix, such as 500m, 2, 1.5Gi, 512Mi, 2G or 1e3"
        }
    }

    /// Parses the Kubernetes quantity grammar: an optional sign, digits with an optional
    /// decimal point (`1`, `1.5`, `1.`, `.5`), then one suffix: binary `Ki Mi Gi Ti Pi Ei`,
    /// decimal `n u m k M G T P E` (or none), or an exponent `e`/`E` with an optional sign and
    /// digits (`1e3`, `5E-2`). No spaces. `1E` is 10¹⁸ (the `E` suffix), `1E3` is 1000.
    public static func parse(_ text: String) throws(ParseError) -> KubernetesQuantity {
        func fail(_ reason: String) -> ParseError { ParseError(text: text, reason: reason) }
        let s = Array(text.utf8)
        var i = 0
        var negative = false
        if i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
            negative = s[i] == UInt8(ascii: "-")
            i += 1
        }
        let integerStart = i
        while i < s.count, IPAddress.isDigit(s[i]) { i += 1 }
        var digits = Array(s[integerStart..<i])
        var fractionLength = 0
        if i < s.count, s[i] == UInt8(ascii: ".") {
            i += 1
            let fractionStart = i
            while i < s.count, IPAddress.isDigit(s[i]) { i += 1 }
            fractionLength = i - fractionStart
            digits += s[fractionStart..<i]
        }
        guard !digits.isEmpty else { throw fail(s.isEmpty ? "it is empty" : "it does not start with a number") }
        let suffix = String(decoding: s[i...], as: UTF8.self)
        var exponent = 0, binaryExponent = 0
        switch suffix {
        case "": break
        case "n": exponent = -9
        case "u": exponent = -6
        case "m": exponent = -3
        case "k": exponent = 3
        case "M": exponent = 6
        case "G": exponent = 9
        case "T": exponent = 12
        case "P": exponent = 15
        case "E": exponent = 18
        case "Ki": binaryExponent = 10
        case "Mi": binaryExponent = 20
        case "Gi": binaryExponent = 30
        case "Ti": binaryExponent = 40
        case "Pi": binaryExponent = 50
        case "Ei": binaryExponent = 60
        default:
            guard let e = parseExponent(s[i...]) else { throw fail("unknown suffix '\(suffix)'") }
            exponent = e
        }
        return KubernetesQuantity(nanos: Self.nanos(digits: digits, exponent: exponent - fractionLength, binaryExponent: binaryExponent, negative: negative))
    }

    /// `e`/`E`, an optional sign and at least one digit; the value saturates at ±10¹², far
    /// beyond where every quantity is capped or rounded.
    static func parseExponent(_ s: ArraySlice<UInt8>) -> Int? {
        guard let first = s.first, first == UInt8(ascii: "e") || first == UInt8(ascii: "E") else { return nil }
        var rest = s.dropFirst()
        var negative = false
        if let sign = rest.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            rest = rest.dropFirst()
        }
        guard !rest.isEmpty, rest.allSatisfy(IPAddress.isDigit) else { return nil }
        var value = 0
        for c in rest { value = min(1_000_000_000_000, value * 10 + Int(c - UInt8(ascii: "0"))) }
        return negative ? -value : value
    }

    /// digits × 10^exponent × 2^binaryExponent in nano-units, rounded up in magnitude and capped.
    static func nanos(digits ascii: [UInt8], exponent: Int, binaryExponent: Int, negative: Bool) -> Int128 {
        // Little-endian decimal digits, so that doubling can carry upwards.
        var digits = ascii.reversed().map { $0 - UInt8(ascii: "0") }
        while digits.last == 0 { digits.removeLast() }
        if digits.isEmpty { return 0 }
        for _ in 0..<binaryExponent {
            var carry: UInt8 = 0
            for j in digits.indices {
                let d = digits[j] * 2 + carry
                digits[j] = d % 10
                carry = d / 10
            }
            if carry > 0 { digits.append(carry) }
        }
        // value = digits × 10^shift nano-units
        let shift = exponent + 9
        var whole: [UInt8]  // little-endian
        var roundUp = false
        if shift >= 0 {
            if digits.count + shift > maxParsedDigits { return negative ? -maxParsedNanos : maxParsedNanos }
            whole = [UInt8](repeating: 0, count: shift) + digits
        } else {
            let dropped = min(-shift, digits.count)
            roundUp = digits[..<dropped].contains { $0 != 0 }
            whole = Array(digits[dropped...])
        }
        if whole.count > maxParsedDigits { return negative ? -maxParsedNanos : maxParsedNanos }
        var magnitude = whole.reversed().reduce(Int128(0)) { $0 * 10 + Int128($1) }
        if roundUp { magnitude += 1 }
        magnitude = min(magnitude, maxParsedNanos)
        return negative ? -magnitude : magnitude
    }
}
