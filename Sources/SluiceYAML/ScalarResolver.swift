/// What a plain (unquoted, untagged) YAML scalar means.
enum ResolvedScalar: Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    /// The merge key `<<`.
    case merge
    /// Not any of the above: the scalar is its own text.
    case string
}

/// Resolves plain scalars the way Kubernetes tooling does (sigs.k8s.io/yaml over the go-yaml
/// v2 resolver, YAML 1.1 style), so that a spec means the same to Sluice as to `kubectl`.
///
/// Works on raw UTF-8 bytes: the common case, a word that is plainly a string, is decided from
/// its first byte without making a `String`.
enum ScalarResolver {
    /// Resolves the text of a plain scalar.
    static func resolvePlain(_ p: UnsafeBufferPointer<UInt8>) -> ResolvedScalar {
        guard let first = p.first else { return .null }
        switch first {
        case UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "n"), UInt8(ascii: "N"),
            UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"),
            UInt8(ascii: "o"), UInt8(ascii: "O"), UInt8(ascii: "~"):
            return word(p) ?? .string
        case UInt8(ascii: "."):
            if let w = word(p) { return w }
            return dotFloat(p)
        case UInt8(ascii: "<"):
            return p.count == 2 && p[1] == UInt8(ascii: "<") ? .merge : .string
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            if let w = word(p) { return w }
            return number(p)
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            return number(p)
        default:
            return .string
        }
    }

    /// Resolves a Swift string as if it were written as a plain scalar (for the emitter).
    static func resolvePlain(_ s: String) -> ResolvedScalar {
        var s = s
        return s.withUTF8 { resolvePlain($0) }
    }

    // MARK: - Words: null, booleans, infinities, NaN

    /// The word `p` spells, if any. Past one byte, the first byte picks the one word of each
    /// length it can be: most texts are none, and are told so after one comparison.
    private static func word(_ p: UnsafeBufferPointer<UInt8>) -> ResolvedScalar? {
        switch p.count {
        case 1:
            switch p[0] {
            case UInt8(ascii: "y"), UInt8(ascii: "Y"): return .bool(true)
            case UInt8(ascii: "n"), UInt8(ascii: "N"): return .bool(false)
            case UInt8(ascii: "~"): return .null
            default: return nil
            }
        case 2:
            switch p[0] {
            case UInt8(ascii: "o"), UInt8(ascii: "O"): if matches(p, "on", "On", "ON") { return .bool(true) }
            case UInt8(ascii: "n"), UInt8(ascii: "N"): if matches(p, "no", "No", "NO") { return .bool(false) }
            default: break
            }
        case 3:
            switch p[0] {
            case UInt8(ascii: "y"), UInt8(ascii: "Y"): if matches(p, "yes", "Yes", "YES") { return .bool(true) }
            case UInt8(ascii: "o"), UInt8(ascii: "O"): if matches(p, "off", "Off", "OFF") { return .bool(false) }
            default: break
            }
        case 4:
            switch p[0] {
            case UInt8(ascii: "t"), UInt8(ascii: "T"): if matches(p, "true", "True", "TRUE") { return .bool(true) }
            case UInt8(ascii: "n"), UInt8(ascii: "N"): if matches(p, "null", "Null", "NULL") { return .null }
            case UInt8(ascii: "."):
                if matches(p, ".inf", ".Inf", ".INF") { return .double(.infinity) }
                if matches(p, ".nan", ".NaN", ".NAN") { return .double(.nan) }
            default: break
            }
        case 5:
            switch p[0] {
            case UInt8(ascii: "f"), UInt8(ascii: "F"): if matches(p, "false", "False", "FALSE") { return .bool(false) }
            case UInt8(ascii: "+"): if matches(p, "+.inf", "+.Inf", "+.INF") { return .double(.infinity) }
            case UInt8(ascii: "-"): if matches(p, "-.inf", "-.Inf", "-.INF") { return .double(-.infinity) }
            default: break
            }
        default:
            return nil
        }
        return nil
    }

    private static func matches(_ p: UnsafeBufferPointer<UInt8>, _ a: StaticString, _ b: StaticString, _ c: StaticString) -> Bool {
        equal(p, a) || equal(p, b) || equal(p, c)
    }

    private static func equal(_ p: UnsafeBufferPointer<UInt8>, _ s: StaticString) -> Bool {
        guard p.count == s.utf8CodeUnitCount else { return false }
        let q = s.utf8Start
        for i in 0..<p.count where p[i] != q[i] { return false }
        return true
    }

    // MARK: - Numbers

    /// A scalar starting with `.` that is not a word: a float only in Go's `ParseFloat` syntax
    /// (`.5`, `.5e3`; no underscores).
    private static func dotFloat(_ p: UnsafeBufferPointer<UInt8>) -> ResolvedScalar {
        var i = 1
        let digitsStart = i
        while i < p.count, isDigit(p[i]) { i += 1 }
        guard i > digitsStart else { return .string }
        if i < p.count {
            guard let end = exponentEnd(p, from: i), end == p.count else { return .string }
        }
        return parseDouble(p)
    }

    /// A scalar starting with a digit or sign: go-yaml removes `_`, then tries an integer
    /// (Go `ParseInt` base 0, then `ParseUint`), then a YAML-style float.
    private static func number(_ p: UnsafeBufferPointer<UInt8>) -> ResolvedScalar {
        if !p.contains(UInt8(ascii: "_")) { return plainNumber(p) }
        let stripped = p.filter { $0 != UInt8(ascii: "_") }
        return stripped.withUnsafeBufferPointer { plainNumber($0) }
    }

    private static func plainNumber(_ q: UnsafeBufferPointer<UInt8>) -> ResolvedScalar {
        switch goInteger(q) {
        case .value(let i): return .int(i)
        // The model has no unsigned type; a uint64 beyond Int.max becomes the nearest double.
        case .unsigned(let u): return .double(Double(u))
        case .invalid: break
        }
        return isYAMLStyleFloat(q) ? parseDouble(q) : .string
    }

    private enum GoInteger { case value(Int), unsigned(UInt64), invalid }

    /// Go's `strconv.ParseInt(s, 0, 64)`, falling back to `ParseUint` for values above Int.max.
    private static func goInteger(_ q: UnsafeBufferPointer<UInt8>) -> GoInteger {
        var i = 0
        var negative = false
        var signed = false
        if let c = q.first, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
            negative = c == UInt8(ascii: "-")
            signed = true
            i = 1
        }
        guard i < q.count else { return .invalid }
        var base: UInt64 = 10
        if q[i] == UInt8(ascii: "0"), i + 1 < q.count {
            switch q[i + 1] {
            case UInt8(ascii: "x"), UInt8(ascii: "X"): base = 16; i += 2
            case UInt8(ascii: "b"), UInt8(ascii: "B"): base = 2; i += 2
            case UInt8(ascii: "o"), UInt8(ascii: "O"): base = 8; i += 2
            default: base = 8; i += 1
            }
            guard i < q.count else { return .invalid }
        }
        var magnitude: UInt64 = 0
        var overflow = false
        while i < q.count {
            guard let d = digitValue(q[i]), d < base else { return .invalid }
            let (m, o1) = magnitude.multipliedReportingOverflow(by: base)
            let (a, o2) = m.addingReportingOverflow(d)
            magnitude = a
            overflow = overflow || o1 || o2
            i += 1
        }
        if overflow { return .invalid }
        if negative {
            if magnitude == UInt64(Int.max) + 1 { return .value(Int.min) }
            return magnitude <= UInt64(Int.max) ? .value(-Int(magnitude)) : .invalid
        }
        if magnitude <= UInt64(Int.max) { return .value(Int(magnitude)) }
        return signed ? .invalid : .unsigned(magnitude)
    }

    /// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, go-yaml's float pattern.
    private static func isYAMLStyleFloat(_ q: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        if let c = q.first, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { i = 1 }
        if i < q.count, q[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < q.count, isDigit(q[i]) { i += 1 }
            guard i > start else { return false }
        } else {
            let start = i
            while i < q.count, isDigit(q[i]) { i += 1 }
            guard i > start else { return false }
            if i < q.count, q[i] == UInt8(ascii: ".") {
                i += 1
                while i < q.count, isDigit(q[i]) { i += 1 }
            }
        }
        if i == q.count { return true }
        return exponentEnd(q, from: i) == q.count
    }

    /// The end of `[eE][-+]?[0-9]+` starting at `i`, or nil.
    private static func exponentEnd(_ q: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var i = start
        guard i < q.count, q[i] == UInt8(ascii: "e") || q[i] == UInt8(ascii: "E") else { return nil }
        i += 1
        if i < q.count, q[i] == UInt8(ascii: "+") || q[i] == UInt8(ascii: "-") { i += 1 }
        let digits = i
        while i < q.count, isDigit(q[i]) { i += 1 }
        return i > digits ? i : nil
    }

    /// Go's `ParseFloat` refuses values that overflow to infinity; such scalars stay strings.
    private static func parseDouble(_ q: UnsafeBufferPointer<UInt8>) -> ResolvedScalar {
        guard let d = Double(String(decoding: q, as: UTF8.self)), d.isFinite else { return .string }
        return .double(d)
    }

    @inline(__always) private static func isDigit(_ c: UInt8) -> Bool {
        c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")
    }

    @inline(__always) private static func digitValue(_ c: UInt8) -> UInt64? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt64(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt64(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt64(c - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
