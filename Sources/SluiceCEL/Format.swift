import Foundation

/// `string.format(list)`: the strings extension's printf-like clauses `%s %d %f %e %b %o %x %X %%`,
/// with an optional precision (`%.3f`).
enum Format {
    static func format(_ template: String, _ args: [CELValue]) throws -> String {
        var out = ""
        var chars = template.unicodeScalars.makeIterator()
        var next = 0
        while let c = chars.next() {
            guard c == "%" else { out.unicodeScalars.append(c); continue }
            guard var clause = chars.next() else { throw CELError("could not parse formatting clause: unterminated %") }
            if clause == "%" { out += "%"; continue }
            var precision: Int?
            if clause == "." {
                var digits = ""
                while let d = chars.next() {
                    if d.properties.numericType != nil { digits.unicodeScalars.append(d) } else { clause = d; break }
                }
                guard let p = Int(digits) else { throw CELError("could not parse formatting clause: invalid precision") }
                precision = p
            }
            guard next < args.count else { throw CELError("index \(next) out of range") }
            let arg = args[next]
            next += 1
            out += try render(clause, arg, precision: precision)
        }
        return out
    }

    static func render(_ clause: Unicode.Scalar, _ arg: CELValue, precision: Int?) throws -> String {
        switch clause {
        case "s": return try text(arg)
        case "d":
            switch arg {
            case .int(let i): return String(i)
            case .uint(let u): return String(u)
            case .double(let d) where !d.isFinite: return special(d)
            default: throw CELError("error during formatting: decimal clause can only be used on integers, was given \(arg.typeName)")
            }
        case "f", "e":
            let d: Double
            switch arg {
            case .double(let v): d = v
            case .int(let i): d = Double(i)
            case .uint(let u): d = Double(u)
            default:
                throw CELError("error during formatting: \(clause == "f" ? "fixed-point" : "scientific") clause can only be used on doubles, was given \(arg.typeName)")
            }
            if !d.isFinite { return special(d) }
            return String(format: "%.\(precision ?? 6)\(clause)", d)
        case "b", "o", "x", "X":
            let radix = clause == "b" ? 2 : clause == "o" ? 8 : 16
            let upper = clause == "X"
            switch arg {
            case .int(let i): return (i < 0 ? "-" : "") + String(i.magnitude, radix: radix, uppercase: upper)
            case .uint(let u): return String(u, radix: radix, uppercase: upper)
            case .bool(let b) where clause == "b": return b ? "1" : "0"
            case .string(let s) where radix == 16: return Array(s.utf8).map { String(format: upper ? "%02X" : "%02x", $0) }.joined()
            case .bytes(let b) where radix == 16: return b.map { String(format: upper ? "%02X" : "%02x", $0) }.joined()
            default:
                let kind = clause == "b" ? "binary" : clause == "o" ? "octal" : "hexadecimal"
                let allowed = clause == "b" ? "integers and bools" : clause == "o" ? "integers" : "integers, byte buffers, and strings"
                throw CELError("error during formatting: only \(allowed) can be formatted as \(kind), was given \(arg.typeName)")
            }
        default:
            throw CELError("could not parse formatting clause: unrecognized formatting clause \"\(clause)\"")
        }
    }

    static func special(_ d: Double) -> String { d.isNaN ? "NaN" : d > 0 ? "Infinity" : "-Infinity" }

    /// `%s`: the value as `string()` gives it; lists and maps element by element, maps by key.
    static func text(_ v: CELValue) throws -> String {
        switch v {
        case .string(let s): return s
        case .bytes(let b): return String(decoding: b, as: UTF8.self)
        case .null: return "null"
        case .double(let d) where !d.isFinite: return special(d)
        case .double(let d): return Conversions.text(.double(d))
        case .list(let l): return "[" + (try l.map { try text($0) }).joined(separator: ", ") + "]"
        case .map(let m):
            let entries = try m.entries.map { (try text($0.0), try text($0.1)) }.sorted { $0.0 < $1.0 }
            return "{" + entries.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}"
        case .type(let t): return t
        case .duration(let d): return d.description
        case .timestamp(let t): return t.description
        case .object(let o): return o.description
        default: return Conversions.text(v)
        }
    }
}
