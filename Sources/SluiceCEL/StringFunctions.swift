import Foundation
import SluiceRegex

/// String methods: the standard ones and the Kubernetes strings extension.
enum StringFunctions {
    static func call(_ name: String, _ s: String, _ args: [CELValue]) throws -> CELValue {
        switch (name, args.count) {
        case ("contains", 1):
            return .bool(contains(s, try string(args[0], name)))
        case ("startsWith", 1): return .bool(hasPrefix(s, try string(args[0], name)))
        case ("endsWith", 1): return .bool(hasSuffix(s, try string(args[0], name)))
        case ("matches", 1): return .bool(try Regex.compile(try string(args[0], name)).matches(s))
        case ("find", 1):
            let r = try Regex.compile(try string(args[0], name))
            return .string(r.firstMatch(in: s).map(String.init) ?? "")
        case ("findAll", 1), ("findAll", 2):
            let r = try Regex.compile(try string(args[0], name))
            var limit: Int?
            if args.count == 2 {
                guard case .int(let n) = args[1] else { throw Functions.noOverload(name, .string(s), args) }
                if n >= 0 { limit = Int(clamping: n) }  // a negative limit means all, as in Go's FindAllString
            }
            return .list(r.allMatches(in: s, limit: limit).map { .string(String($0)) })
        case ("lowerAscii", 0):
            return .string(mapASCII(s, from: UInt8(ascii: "A"), through: UInt8(ascii: "Z"), adding: 0x20))
        case ("upperAscii", 0):
            return .string(mapASCII(s, from: UInt8(ascii: "a"), through: UInt8(ascii: "z"), adding: 0xE0))
        case ("format", 1):
            guard case .list(let values) = args[0] else { throw Functions.noOverload(name, .string(s), args) }
            return .string(try Format.format(s, values))
        case ("reverse", 0): return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed())))
        case ("trim", 0): return .string(s.trimmingCharacters(in: .whitespacesAndNewlines))
        case ("split", 1), ("split", 2):
            let separator = try string(args[0], name)
            var limit = -1
            if args.count == 2 { guard case .int(let n) = args[1] else { throw Functions.noOverload(name, .string(s), args) }; limit = Int(n) }
            if limit == 0 { return .list([]) }
            var parts: [String]
            if separator.isEmpty {
                parts = s.unicodeScalars.map { String($0) }
            } else {
                parts = split(s, separator)
            }
            if limit > 0, parts.count > limit {
                parts = Array(parts.prefix(limit - 1)) + [parts.dropFirst(limit - 1).joined(separator: separator)]
            }
            return .list(parts.map { .string($0) })
        case ("replace", 2), ("replace", 3):
            let old = try string(args[0], name), new = try string(args[1], name)
            var limit = -1
            if args.count == 3 { guard case .int(let n) = args[2] else { throw Functions.noOverload(name, .string(s), args) }; limit = Int(n) }
            if limit < 0 { return .string(s.replacingOccurrences(of: old, with: new)) }
            var out = s
            var from = out.startIndex
            for _ in 0..<limit {
                guard let r = out.range(of: old, range: from..<out.endIndex) else { break }
                out.replaceSubrange(r, with: new)
                from = out.index(r.lowerBound, offsetBy: new.count)
            }
            return .string(out)
        case ("substring", 1), ("substring", 2):
            let scalars = Array(s.unicodeScalars)
            guard case .int(let start) = args[0] else { throw Functions.noOverload(name, .string(s), args) }
            var end = Int64(scalars.count)
            if args.count == 2 { guard case .int(let e) = args[1] else { throw Functions.noOverload(name, .string(s), args) }; end = e }
            guard start >= 0, end <= scalars.count, start <= end else {
                throw CELError("index out of range: substring(\(start)\(args.count == 2 ? ", \(end)" : ""))")
            }
            return .string(String(String.UnicodeScalarView(scalars[Int(start)..<Int(end)])))
        case ("charAt", 1):
            let scalars = Array(s.unicodeScalars)
            guard case .int(let i) = args[0], i >= 0, i <= scalars.count else { throw CELError("index out of range: charAt") }
            return .string(i == scalars.count ? "" : String(scalars[Int(i)]))
        case ("indexOf", 1), ("indexOf", 2), ("lastIndexOf", 1), ("lastIndexOf", 2):
            let needle = Array(try string(args[0], name).unicodeScalars), hay = Array(s.unicodeScalars)
            let last = name == "lastIndexOf"
            var bound = last ? hay.count : 0
            if args.count == 2 {
                guard case .int(let b) = args[1], b >= 0, b <= hay.count else { throw CELError("index out of range: \(name)") }
                bound = Int(b)
            }
            if needle.isEmpty { return .int(Int64(bound)) }
            let starts = last ? Array((0...max(0, min(bound, hay.count - needle.count))).reversed()) : Array(bound..<max(bound, hay.count - needle.count + 1))
            for i in starts where i + needle.count <= hay.count && Array(hay[i..<i + needle.count]) == needle { return .int(Int64(i)) }
            return .int(-1)
        default:
            throw Functions.noOverload(name, .string(s), args)
        }
    }

    /// A double-quoted CEL string literal for `s`, as `strings.quote` writes it.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0B}": out += "\\v"
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func string(_ v: CELValue, _ name: String) throws -> String {
        guard case .string(let s) = v else { throw CELError("no such overload: \(name) with \(v.typeName)") }
        return s
    }

    // Searching compares UTF-8 bytes, as cel-go does with Go's `strings` package
    // (`strings.Contains`, `HasPrefix`, `HasSuffix` in common/types/string.go, `strings.Split` and
    // `SplitN` in ext/strings.go): a UTF-8 substring is a code-point substring, and no Unicode
    // equivalence applies, so 'e\u0301' starts with 'e' (Swift's `String` methods compare
    // characters and say it does not).

    /// `s` with the ASCII letters in `from...through` shifted by `adding` (wrapping): `lowerAscii`
    /// and `upperAscii`. Byte by byte: no byte of a multi-byte UTF-8 sequence is ASCII, so only
    /// ASCII letters change, as in cel-go's ext/strings.go. A string with nothing to change is
    /// returned as it is.
    static func mapASCII(_ s: String, from: UInt8, through: UInt8, adding: UInt8) -> String {
        guard s.utf8.contains(where: { $0 >= from && $0 <= through }) else { return s }
        return String(unsafeUninitializedCapacity: s.utf8.count) { out in
            var i = 0
            for byte in s.utf8 {
                out[i] = byte >= from && byte <= through ? byte &+ adding : byte
                i += 1
            }
            return i
        }
    }

    static func contains(_ s: String, _ needle: String) -> Bool {
        needle.isEmpty || firstOffset(of: needle, in: s, from: 0) != nil
    }

    static func hasPrefix(_ s: String, _ prefix: String) -> Bool {
        s.utf8.count >= prefix.utf8.count && s.utf8.starts(with: prefix.utf8)
    }

    static func hasSuffix(_ s: String, _ suffix: String) -> Bool {
        s.utf8.count >= suffix.utf8.count && s.utf8.suffix(suffix.utf8.count).elementsEqual(suffix.utf8)
    }

    /// `s` cut at every occurrence of a non-empty `separator`, as Go's `strings.Split`.
    static func split(_ s: String, _ separator: String) -> [String] {
        var parts: [String] = []
        var start = 0
        let bytes = Array(s.utf8), separatorLength = separator.utf8.count
        while let found = firstOffset(of: separator, in: s, from: start, bytes: bytes) {
            parts.append(String(decoding: bytes[start..<found], as: UTF8.self))
            start = found + separatorLength
        }
        parts.append(String(decoding: bytes[start...], as: UTF8.self))
        return parts
    }

    /// The byte offset of the first `needle` in `s` at or after `start`.
    private static func firstOffset(of needle: String, in s: String, from start: Int, bytes: [UInt8]? = nil) -> Int? {
        let hay = bytes ?? Array(s.utf8), needle = Array(needle.utf8)
        guard let first = needle.first, hay.count - start >= needle.count else { return needle.isEmpty ? start : nil }
        var i = start
        let last = hay.count - needle.count
        while i <= last {
            if hay[i] == first, hay[i ..< i + needle.count].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}

/// CEL's regular expressions: RE2 itself, as cel-go and the Kubernetes regex library
/// (`matches`, `find`, `findAll`) use it. Compiled patterns are shared through `RE2Cache`.
enum Regex {
    static func compile(_ pattern: String) throws -> RE2 {
        do {
            return try RE2Cache.compile(pattern)
        } catch let error as RE2.SyntaxError {
            throw CELError(error.description)
        }
    }

    /// The names of the functions whose second operand (or argument of the method form) is a
    /// pattern.
    static let functions: Set<String> = ["matches", "find", "findAll"]

    /// The cost of running a pattern over a string, as cel-go's runtime cost and the Kubernetes
    /// regex library count it: `ceil((1 + size(s)) * 0.1) * ceil(size(pattern) * 0.25)`, sizes in
    /// code points (`common.StringTraversalCostFactor`, `common.RegexStringLengthCostFactor`).
    static func cost(_ s: String, pattern: String) -> Int {
        let traversal = (1 + codePoints(s) + 9) / 10
        let states = (codePoints(pattern) + 3) / 4
        return traversal.multipliedReportingOverflow(by: states).overflow ? Int.max / 2 : traversal * states
    }

    /// `s.unicodeScalars.count`, counted as the UTF-8 bytes that start a code point: a walk of the
    /// scalar view decodes each one, about ten times the work, on every match a policy runs.
    static func codePoints(_ s: String) -> Int {
        var s = s
        return s.withUTF8 { bytes in
            var count = 0
            for byte in bytes where byte & 0xC0 != 0x80 { count += 1 }
            return count
        }
    }
}
