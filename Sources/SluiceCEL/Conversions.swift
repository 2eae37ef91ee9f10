import Foundation

/// `int() uint() double() string() bool() bytes()` with CEL's range checks.
enum Conversions {
    static func convert(_ v: CELValue, to type: String) throws -> CELValue {
        switch (type, v) {
        case ("int", .int): return v
        case ("int", .timestamp(let t)): return .int(t.seconds)
        case ("duration", .duration), ("timestamp", .timestamp): return v
        case ("duration", .string(let s)): return .duration(try CELDuration.parse(s))
        case ("timestamp", .string(let s)): return .timestamp(try CELTimestamp.parse(s))
        case ("timestamp", .int(let i)): return .timestamp(try CELTimestamp(seconds: i, nanos: 0))
        case ("string", .duration(let d)): return .string(d.description)
        case ("string", .timestamp(let t)): return .string(t.description)
        // Library values (net.IP, net.CIDR, ...) print themselves.
        case ("string", .object(let o)): return .string(o.description)
        case ("int", .uint(let u)):
            guard let i = Int64(exactly: u) else { throw CELError("range error") }
            return .int(i)
        case ("int", .double(let d)):
            guard d.isFinite, d > -9.223372036854775808e18, d < 9.223372036854775808e18 else { throw CELError("range error") }
            return .int(Int64(d.rounded(.towardZero)))
        case ("int", .string(let s)):
            guard let i = Int64(s) else { throw CELError("cannot convert \"\(s)\" to int") }
            return .int(i)
        case ("uint", .uint): return v
        case ("uint", .int(let i)):
            guard i >= 0 else { throw CELError("range error") }
            return .uint(UInt64(i))
        case ("uint", .double(let d)):
            guard d.isFinite, d >= 0, d < 1.8446744073709551616e19 else { throw CELError("range error") }
            return .uint(UInt64(d.rounded(.towardZero)))
        case ("uint", .string(let s)):
            guard let u = UInt64(s) else { throw CELError("cannot convert \"\(s)\" to uint") }
            return .uint(u)
        case ("double", .double): return v
        case ("double", .int(let i)): return .double(Double(i))
        case ("double", .uint(let u)): return .double(Double(u))
        case ("double", .string(let s)):
            let lowered = s.lowercased()
            if ["inf", "+inf", "infinity"].contains(lowered) { return .double(.infinity) }
            if ["-inf", "-infinity"].contains(lowered) { return .double(-.infinity) }
            if lowered == "nan" { return .double(.nan) }
            guard let d = Double(s) else { throw CELError("cannot convert \"\(s)\" to double") }
            return .double(d)
        case ("string", .string): return v
        case ("string", .bytes(let b)):
            guard let s = String(validating: b, as: UTF8.self) else { throw CELError("invalid UTF-8 in bytes") }
            return .string(s)
        case ("string", _):
            switch v {
            case .int, .uint, .double, .bool: return .string(text(v))
            default: throw Functions.noOverload("string", nil, [v])
            }
        case ("bool", .bool): return v
        case ("bool", .string(let s)):
            switch s {
            case "1", "t", "true", "TRUE", "True": return .bool(true)
            case "0", "f", "false", "FALSE", "False": return .bool(false)
            default: throw CELError("cannot convert \"\(s)\" to bool")
            }
        case ("bytes", .bytes): return v
        case ("bytes", .string(let s)): return .bytes(Array(s.utf8))
        default: throw Functions.noOverload(type, nil, [v])
        }
    }

    /// The text form of a scalar, as `string()` gives it.
    static func text(_ v: CELValue) -> String {
        switch v {
        case .int(let i): return String(i)
        case .uint(let u): return String(u)
        case .double(let d):
            if d.isNaN { return "NaN" }
            if d.isInfinite { return d > 0 ? "+Inf" : "-Inf" }
            if d == d.rounded(), abs(d) < 1e21 {
                // CEL prints whole doubles without a fraction only in exponent form; Swift's "1.0" is close to Go's "1".
                let s = String(d)
                return s.hasSuffix(".0") ? String(s.dropLast(2)) : s
            }
            return String(d)
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return s
        case .null: return "null"
        default: return v.typeName
        }
    }
}
