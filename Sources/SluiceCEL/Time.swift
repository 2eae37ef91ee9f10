import Foundation

/// A `google.protobuf.Duration`: seconds and nanoseconds with the same sign. As in CEL's
/// reference implementation, a duration must fit in a signed 64-bit count of nanoseconds (±292 years).
public struct CELDuration: Sendable, Hashable, Comparable, CustomStringConvertible {
    public static let maxSeconds: Int64 = 9_223_372_036
    public var seconds: Int64
    public var nanos: Int32

    /// Normalises and range-checks.
    init(seconds: Int64, nanos: Int64) throws {
        var s = seconds, n = nanos
        s += n / 1_000_000_000
        n %= 1_000_000_000
        if s > 0, n < 0 { s -= 1; n += 1_000_000_000 }
        if s < 0, n > 0 { s += 1; n -= 1_000_000_000 }
        guard abs(s) < Self.maxSeconds || (abs(s) == Self.maxSeconds && abs(n) <= 854_775_807) else {
            throw CELError("duration out of range")
        }
        self.seconds = s
        self.nanos = Int32(n)
    }

    var totalNanos: (Int64, Int64) { (seconds, Int64(nanos)) }

    public static func < (a: CELDuration, b: CELDuration) -> Bool { (a.seconds, a.nanos) < (b.seconds, b.nanos) }

    /// Go's duration syntax: a sequence of decimal numbers with units h, m, s, ms, us (µs), ns.
    static func parse(_ text: String) throws -> CELDuration {
        var s = Substring(text)
        var negative = false
        if s.hasPrefix("-") { negative = true; s = s.dropFirst() } else if s.hasPrefix("+") { s = s.dropFirst() }
        if s == "0" { return try CELDuration(seconds: 0, nanos: 0) }
        guard !s.isEmpty else { throw CELError("invalid duration: \"\(text)\"") }
        var totalNanos: Double = 0
        var exactNanos: Int64 = 0
        let units: [(String, Int64)] = [("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000)]
        while !s.isEmpty {
            var number = ""
            while let c = s.first, c.isNumber || c == "." { number.append(c); s = s.dropFirst() }
            guard !number.isEmpty, let value = Double(number) else { throw CELError("invalid duration: \"\(text)\"") }
            guard let unit = units.filter({ s.hasPrefix($0.0) }).max(by: { $0.0.count < $1.0.count }) else {
                throw CELError("invalid duration: missing unit in \"\(text)\"")
            }
            s = s.dropFirst(unit.0.count)
            if let whole = Int64(number) {
                let (product, overflow) = whole.multipliedReportingOverflow(by: unit.1)
                if overflow { throw CELError("duration out of range") }
                exactNanos += product
            } else {
                totalNanos += value * Double(unit.1)
            }
        }
        let fraction = Int64(totalNanos.rounded())
        let nanos = exactNanos + fraction
        let d = try CELDuration(seconds: nanos / 1_000_000_000, nanos: nanos % 1_000_000_000)
        return negative ? try CELDuration(seconds: -d.seconds, nanos: -Int64(d.nanos)) : d
    }

    /// `1.5s`, `-30s`, `0s`: seconds with only the significant fraction, as CEL prints durations.
    public var description: String {
        if nanos == 0 { return "\(seconds)s" }
        let sign = seconds < 0 || nanos < 0 ? "-" : ""
        var fraction = String(format: "%09d", abs(Int(nanos)))
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(sign)\(abs(seconds)).\(fraction)s"
    }
}

/// A `google.protobuf.Timestamp`: seconds since the Unix epoch and nanoseconds, from year 1 to 9999.
public struct CELTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    static let minSeconds: Int64 = -62_135_596_800  // 0001-01-01T00:00:00Z
    static let maxSeconds: Int64 = 253_402_300_799  // 9999-12-31T23:59:59Z
    public var seconds: Int64
    public var nanos: Int32

    init(seconds: Int64, nanos: Int64) throws {
        var s = seconds + nanos / 1_000_000_000, n = nanos % 1_000_000_000
        if n < 0 { s -= 1; n += 1_000_000_000 }
        guard s >= Self.minSeconds, s <= Self.maxSeconds else { throw CELError("timestamp out of range") }
        self.seconds = s
        self.nanos = Int32(n)
    }

    public static func < (a: CELTimestamp, b: CELTimestamp) -> Bool { (a.seconds, a.nanos) < (b.seconds, b.nanos) }

    /// RFC 3339: `2009-02-13T23:31:30Z`, `...30.123456789+01:00`.
    static func parse(_ text: String) throws -> CELTimestamp {
        let c = Array(text.utf8)
        func num(_ from: Int, _ count: Int) throws -> Int64 {
            guard from + count <= c.count else { throw CELError("invalid timestamp \"\(text)\"") }
            var v: Int64 = 0
            for b in c[from..<from + count] {
                guard b >= 48, b <= 57 else { throw CELError("invalid timestamp \"\(text)\"") }
                v = v * 10 + Int64(b - 48)
            }
            return v
        }
        guard c.count >= 20, c[4] == 45, c[7] == 45, c[10] == 84 || c[10] == 116, c[13] == 58, c[16] == 58 else {
            throw CELError("invalid timestamp \"\(text)\"")
        }
        let year = try num(0, 4), month = try num(5, 2), day = try num(8, 2)
        let hour = try num(11, 2), minute = try num(14, 2), second = try num(17, 2)
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else {
            throw CELError("invalid timestamp \"\(text)\"")
        }
        var i = 19
        var nanos: Int64 = 0
        if i < c.count, c[i] == 46 {
            i += 1
            var digits = 0
            while i < c.count, c[i] >= 48, c[i] <= 57 {
                if digits < 9 { nanos = nanos * 10 + Int64(c[i] - 48) }
                digits += 1
                i += 1
            }
            for _ in digits..<9 where digits < 9 { nanos *= 10 }
        }
        guard i < c.count else { throw CELError("invalid timestamp \"\(text)\": missing time zone") }
        var offset: Int64 = 0
        if c[i] == 90 || c[i] == 122 {
            i += 1
        } else if c[i] == 43 || c[i] == 45 {
            let sign: Int64 = c[i] == 45 ? -1 : 1
            offset = sign * (try num(i + 1, 2) * 3600 + num(i + 4, 2) * 60)
            i += 6
        }
        guard i == c.count else { throw CELError("invalid timestamp \"\(text)\"") }
        let days = Civil.days(year: year, month: month, day: day)
        return try CELTimestamp(seconds: days * 86_400 + hour * 3600 + minute * 60 + second - offset, nanos: nanos)
    }

    /// RFC 3339 in UTC, with only the significant fraction of a second.
    public var description: String {
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (y, m, d) = Civil.date(days: days)
        var out = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(y), Int(m), Int(d),
                         Int(secondOfDay / 3600), Int(secondOfDay / 60 % 60), Int(secondOfDay % 60))
        if nanos != 0 {
            var fraction = String(format: "%09d", Int(nanos))
            while fraction.hasSuffix("0") { fraction.removeLast() }
            out += ".\(fraction)"
        }
        return out + "Z"
    }
}

func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
    let q = a / b, r = a % b
    return r < 0 ? (q - 1, r + b) : (q, r)
}

/// Proleptic Gregorian calendar arithmetic (days since 1970-01-01), valid for years 1 to 9999.
enum Civil {
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func date(days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

/// Timestamp and duration functions, operators and accessors.
enum TimeFunctions {
    /// The offset in seconds of `zone` (an IANA name, `UTC`, or `±HH:MM`) at `timestamp`.
    static func offset(_ zone: String, at timestamp: CELTimestamp) throws -> Int64 {
        let c = Array(zone.utf8)
        if c.count == 6, c[0] == 43 || c[0] == 45, c[3] == 58, let h = Int64(zone.dropFirst().prefix(2)), let m = Int64(zone.suffix(2)) {
            return (c[0] == 45 ? -1 : 1) * (h * 3600 + m * 60)
        }
        if c.count == 5, c[2] == 58, let h = Int64(zone.prefix(2)), let m = Int64(zone.suffix(2)) { return h * 3600 + m * 60 }
        guard let tz = TimeZone(identifier: zone) else { throw CELError("unknown time zone \"\(zone)\"") }
        return Int64(tz.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(timestamp.seconds))))
    }

    static func accessor(_ name: String, _ t: CELTimestamp, _ args: [CELValue]) throws -> CELValue {
        var offset: Int64 = 0
        if args.count == 1 {
            guard case .string(let zone) = args[0] else { throw Functions.noOverload(name, .timestamp(t), args) }
            offset = try self.offset(zone, at: t)
        }
        let local = t.seconds + offset
        let (days, secondOfDay) = floorDivide(local, 86_400)
        let (year, month, day) = Civil.date(days: days)
        switch name {
        case "getFullYear": return .int(year)
        case "getMonth": return .int(month - 1)
        case "getDate": return .int(day)
        case "getDayOfMonth": return .int(day - 1)
        case "getDayOfYear": return .int(days - Civil.days(year: year, month: 1, day: 1))
        case "getDayOfWeek": return .int(floorDivide(days + 4, 7).1)  // 1970-01-01 was a Thursday
        case "getHours": return .int(secondOfDay / 3600)
        case "getMinutes": return .int(secondOfDay / 60 % 60)
        case "getSeconds": return .int(secondOfDay % 60)
        case "getMilliseconds": return .int(Int64(t.nanos) / 1_000_000)
        default: throw Functions.noOverload(name, .timestamp(t), args)
        }
    }

    static func durationAccessor(_ name: String, _ d: CELDuration) throws -> CELValue {
        switch name {
        case "getHours": return .int(d.seconds / 3600)
        case "getMinutes": return .int(d.seconds / 60)
        case "getSeconds": return .int(d.seconds)
        // The millisecond component, not the whole duration in milliseconds (cel-spec).
        case "getMilliseconds": return .int(Int64(d.nanos) / 1_000_000)
        default: throw Functions.noOverload(name, .duration(d), [])
        }
    }

    static func add(_ a: CELValue, _ b: CELValue) throws -> CELValue? {
        switch (a, b) {
        case let (.duration(x), .duration(y)): return .duration(try CELDuration(seconds: x.seconds + y.seconds, nanos: Int64(x.nanos) + Int64(y.nanos)))
        case let (.timestamp(t), .duration(d)), let (.duration(d), .timestamp(t)):
            return .timestamp(try CELTimestamp(seconds: t.seconds + d.seconds, nanos: Int64(t.nanos) + Int64(d.nanos)))
        default: return nil
        }
    }

    static func subtract(_ a: CELValue, _ b: CELValue) throws -> CELValue? {
        switch (a, b) {
        case let (.duration(x), .duration(y)): return .duration(try CELDuration(seconds: x.seconds - y.seconds, nanos: Int64(x.nanos) - Int64(y.nanos)))
        case let (.timestamp(t), .duration(d)):
            return .timestamp(try CELTimestamp(seconds: t.seconds - d.seconds, nanos: Int64(t.nanos) - Int64(d.nanos)))
        case let (.timestamp(x), .timestamp(y)):
            return .duration(try CELDuration(seconds: x.seconds - y.seconds, nanos: Int64(x.nanos) - Int64(y.nanos)))
        default: return nil
        }
    }
}
