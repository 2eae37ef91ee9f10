#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads one journal line without `JSONDecoder`: a record is a flat JSON object of strings,
/// numbers, booleans and nulls, so a small scanner builds it directly, about a hundred times
/// faster. A line it does not fully understand (a field added by a newer Sluice, a value of
/// another shape) returns nil and is read by `JSONDecoder` instead, so nothing is lost.
enum JournalLine {
    private enum Scalar {
        case string(String), int(Int), bool(Bool), null
    }

    static func decode(_ line: UnsafeBufferPointer<UInt8>) -> JournalRecord? {
        var scanner = Scanner(bytes: line)
        guard scanner.skipSpace(), scanner.take(UInt8(ascii: "{")) else { return nil }
        var time: Date?, cluster: String?, object: String?, step: JournalRecord.Step?, phase: JournalRecord.Phase?
        var record = JournalRecord(time: Date(timeIntervalSince1970: 0), cluster: "", object: "", step: .apply, phase: .intent)
        _ = scanner.skipSpace()
        if scanner.take(UInt8(ascii: "}")) { return nil }
        while true {
            _ = scanner.skipSpace()
            guard let key = scanner.string(), scanner.skipSpace(), scanner.take(UInt8(ascii: ":")), scanner.skipSpace(),
                  let value = scanner.scalar() else { return nil }
            switch (key, value) {
            case (_, .null): break
            case ("time", .string(let text)):
                guard let date = JournalTime.parse(text) else { return nil }
                time = date
            case ("cluster", .string(let text)): cluster = text
            case ("object", .string(let text)): object = text
            case ("step", .string(let text)): step = JournalRecord.Step(rawValue: text)
            case ("phase", .string(let text)): phase = JournalRecord.Phase(rawValue: text)
            case ("revision", .string(let text)): record.revision = text
            case ("specHash", .string(let text)): record.specHash = text
            case ("jobID", .string(let text)): record.jobID = text
            case ("triggerID", .string(let text)): record.triggerID = text
            case ("savepointPath", .string(let text)): record.savepointPath = text
            case ("message", .string(let text)): record.message = text
            case ("succeeded", .bool(let flag)): record.succeeded = flag
            case ("durationMilliseconds", .int(let number)): record.durationMilliseconds = number
            default: return nil
            }
            _ = scanner.skipSpace()
            if scanner.take(UInt8(ascii: ",")) { continue }
            guard scanner.take(UInt8(ascii: "}")), scanner.skipSpace(), scanner.atEnd else { return nil }
            break
        }
        guard let time, let cluster, let object, let step, let phase else { return nil }
        record.time = time
        record.cluster = cluster
        record.object = object
        record.step = step
        record.phase = phase
        return record
    }

    /// The cluster and object of a well-formed flat record line, reading nothing else into
    /// strings: the index needs only these to find an object's lines, and decodes the lines of
    /// the objects it is asked about. Nil for a line that is not a complete flat object (torn,
    /// or of a shape only `JSONDecoder` reads).
    static func key(_ line: UnsafeBufferPointer<UInt8>) -> (cluster: String, object: String)? {
        var scanner = Scanner(bytes: line)
        guard scanner.skipSpace(), scanner.take(UInt8(ascii: "{")) else { return nil }
        var cluster: String?, object: String?
        while true {
            _ = scanner.skipSpace()
            guard let key = scanner.keyName(), scanner.skipSpace(), scanner.take(UInt8(ascii: ":")), scanner.skipSpace() else { return nil }
            switch key {
            case .cluster: guard let text = scanner.string() else { return nil }; cluster = text
            case .object: guard let text = scanner.string() else { return nil }; object = text
            case .other: guard scanner.skipScalar() else { return nil }
            }
            _ = scanner.skipSpace()
            if scanner.take(UInt8(ascii: ",")) { continue }
            guard scanner.take(UInt8(ascii: "}")), scanner.skipSpace(), scanner.atEnd else { return nil }
            break
        }
        guard let cluster, let object else { return nil }
        return (cluster, object)
    }

    private enum KeyName { case cluster, object, other }

    private struct Scanner {
        /// A key, recognised without building a string.
        mutating func keyName() -> KeyName? {
            let start = index
            guard skipString() else { return nil }
            let length = index - start - 2
            func equals(_ word: StaticString) -> Bool {
                guard length == word.utf8CodeUnitCount else { return false }
                for offset in 0..<length where bytes[start + 1 + offset] != word.utf8Start[offset] { return false }
                return true
            }
            return equals("cluster") ? .cluster : equals("object") ? .object : .other
        }

        /// Skips a string, a number, a boolean or null; false for anything else.
        mutating func skipScalar() -> Bool {
            guard index < bytes.count else { return false }
            switch bytes[index] {
            case UInt8(ascii: "\""): return skipString()
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = index
                scan: while index < bytes.count {
                    switch bytes[index] {
                    case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), 48...57: index += 1
                    default: break scan
                    }
                }
                return index > start
            default: return false
            }
        }

        mutating func skipString() -> Bool {
            guard take(UInt8(ascii: "\"")) else { return false }
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\"") { return true }
                if byte == UInt8(ascii: "\\") { index += 1 } else if byte < 0x20 { return false }
            }
            return false
        }

        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        var atEnd: Bool { index == bytes.count }

        /// Always true, so it chains in a `guard`.
        mutating func skipSpace() -> Bool {
            while index < bytes.count {
                switch bytes[index] {
                case 9, 10, 13, 32: index += 1
                default: return true
                }
            }
            return true
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func scalar() -> Scalar? {
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "\""): return string().map(Scalar.string)
            case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return literal("null") ? .null : nil
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let negative = take(UInt8(ascii: "-"))
                var value = 0
                let start = index
                while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57, index - start < 18 {
                    value = value * 10 + Int(bytes[index] - 48)
                    index += 1
                }
                // A fraction or an exponent is not a record's integer: leave it to JSONDecoder.
                guard index > start, index == bytes.count || !(bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")),
                      index == bytes.count || !(bytes[index] >= 48 && bytes[index] <= 57) else { return nil }
                return .int(negative ? -value : value)
            default: return nil
            }
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
            index += count
            return true
        }

        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            // Fast path: no escapes.
            while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
                guard bytes[index] >= 0x20 else { return nil }
                index += 1
            }
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "\"") {
                let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            var out = [UInt8](UnsafeBufferPointer(rebasing: bytes[start..<index]))
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(validating: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { return nil }
                    let escaped = bytes[index]
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                    case UInt8(ascii: "b"): out.append(8)
                    case UInt8(ascii: "f"): out.append(12)
                    case UInt8(ascii: "n"): out.append(10)
                    case UInt8(ascii: "r"): out.append(13)
                    case UInt8(ascii: "t"): out.append(9)
                    case UInt8(ascii: "u"):
                        guard var scalar = hex4() else { return nil }
                        if (0xD800..<0xDC00).contains(scalar) {
                            guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { return nil }
                        out.append(contentsOf: Array(String(Character(unicode)).utf8))
                    default: return nil
                    }
                default:
                    guard byte >= 0x20 else { return nil }
                    out.append(byte)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt32
                switch byte {
                case 48...57: digit = UInt32(byte - 48)
                case 65...70: digit = UInt32(byte - 55)
                case 97...102: digit = UInt32(byte - 87)
                default: return nil
                }
                value = value * 16 + digit
                index += 1
            }
            return value
        }
    }
}
