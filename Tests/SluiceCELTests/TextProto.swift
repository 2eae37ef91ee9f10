import Foundation

/// A protobuf text-format message read without its schema: fields in order, each a scalar
/// (string bytes, number or enum word) or a nested message. Enough for the cel-spec test files.
final class TextProto {
    enum Field {
        case scalar(String)        // numbers and enum identifiers, as written
        case string([UInt8])       // quoted strings, unescaped to raw bytes
        case message(TextProto)
    }

    var fields: [(String, Field)] = []

    init() {}

    func all(_ name: String) -> [Field] { fields.filter { $0.0 == name }.map(\.1) }
    func first(_ name: String) -> Field? { fields.first { $0.0 == name }?.1 }
    func message(_ name: String) -> TextProto? { if case .message(let m)? = first(name) { return m }; return nil }
    func messages(_ name: String) -> [TextProto] { all(name).compactMap { if case .message(let m) = $0 { return m }; return nil } }
    func string(_ name: String) -> String? {
        switch first(name) {
        case .string(let b)?: return String(decoding: b, as: UTF8.self)
        case .scalar(let s)?: return s
        default: return nil
        }
    }
    func bytes(_ name: String) -> [UInt8]? { if case .string(let b)? = first(name) { return b }; return nil }
    func scalar(_ name: String) -> String? { if case .scalar(let s)? = first(name) { return s }; return nil }

    /// Every field name and decoded string value inside, but names and descriptions, for
    /// looking for markers.
    var flatText: String {
        fields.filter { $0.0 != "description" && $0.0 != "name" }.map { name, field in
            switch field {
            case .scalar(let s): return "\(name) \(s)"
            case .string(let b): return "\(name) \(String(decoding: b, as: UTF8.self))"
            case .message(let m): return "\(name) { \(m.flatText) }"
            }
        }.joined(separator: " ")
    }

    static func parse(_ text: String) throws -> TextProto {
        var reader = Reader(bytes: Array(text.utf8))
        return try reader.message(until: nil)
    }

    struct ParseError: Error, CustomStringConvertible { var description: String }

    struct Reader {
        let bytes: [UInt8]
        var i = 0

        mutating func skip() {
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "#") { while i < bytes.count, bytes[i] != 10 { i += 1 }; continue }
                if [32, 9, 10, 13, UInt8(ascii: ",") , UInt8(ascii: ";")].contains(bytes[i]) { i += 1; continue }
                return
            }
        }

        mutating func message(until close: UInt8?) throws -> TextProto {
            let out = TextProto()
            while true {
                skip()
                if i >= bytes.count {
                    if close == nil { return out }
                    throw ParseError(description: "unexpected end")
                }
                if let close, bytes[i] == close { i += 1; return out }
                var name = ""
                if bytes[i] == UInt8(ascii: "[") {  // extension or Any type URL
                    while i < bytes.count, bytes[i] != UInt8(ascii: "]") { name.append(Character(UnicodeScalar(bytes[i]))); i += 1 }
                    i += 1
                    name += "]"
                } else {
                    while i < bytes.count, isWord(bytes[i]) { name.append(Character(UnicodeScalar(bytes[i]))); i += 1 }
                }
                guard !name.isEmpty else { throw ParseError(description: "expected a field name at \(i)") }
                skip()
                if i < bytes.count, bytes[i] == UInt8(ascii: ":") { i += 1; skip() }
                out.fields.append((name, try value()))
            }
        }

        mutating func value() throws -> Field {
            let c = bytes[i]
            if c == UInt8(ascii: "{") || c == UInt8(ascii: "<") {
                i += 1
                return .message(try message(until: c == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: ">")))
            }
            if c == UInt8(ascii: "[") {  // a list of values for a repeated field: keep them as a message of "item"s
                i += 1
                let list = TextProto()
                while true {
                    skip()
                    if bytes[i] == UInt8(ascii: "]") { i += 1; return .message(list) }
                    list.fields.append(("item", try value()))
                }
            }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                var out: [UInt8] = []
                while i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") {
                    out += try quoted()
                    skip()
                }
                return .string(out)
            }
            var word = ""
            while i < bytes.count, isWord(bytes[i]) || bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: ".") || bytes[i] == UInt8(ascii: "+") {
                word.append(Character(UnicodeScalar(bytes[i]))); i += 1
            }
            return .scalar(word)
        }

        func isWord(_ b: UInt8) -> Bool {
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == UInt8(ascii: "_")
        }

        mutating func quoted() throws -> [UInt8] {
            let q = bytes[i]
            i += 1
            var out: [UInt8] = []
            while i < bytes.count, bytes[i] != q {
                if bytes[i] == UInt8(ascii: "\\") {
                    i += 1
                    let e = bytes[i]
                    i += 1
                    switch e {
                    case UInt8(ascii: "n"): out.append(10)
                    case UInt8(ascii: "r"): out.append(13)
                    case UInt8(ascii: "t"): out.append(9)
                    case UInt8(ascii: "a"): out.append(7)
                    case UInt8(ascii: "b"): out.append(8)
                    case UInt8(ascii: "f"): out.append(12)
                    case UInt8(ascii: "v"): out.append(11)
                    case UInt8(ascii: "x"):
                        var v = 0, n = 0
                        while n < 2, i < bytes.count, let d = hexDigit(bytes[i]) { v = v * 16 + d; i += 1; n += 1 }
                        out.append(UInt8(v))
                    case UInt8(ascii: "0")...UInt8(ascii: "7"):
                        var v = Int(e - 48), n = 1
                        while n < 3, i < bytes.count, bytes[i] >= 48, bytes[i] <= 55 { v = v * 8 + Int(bytes[i] - 48); i += 1; n += 1 }
                        out.append(UInt8(v & 0xff))
                    case UInt8(ascii: "u"), UInt8(ascii: "U"):
                        let n = e == UInt8(ascii: "u") ? 4 : 8
                        var v: UInt32 = 0
                        for _ in 0..<n { v = v * 16 + UInt32(hexDigit(bytes[i]) ?? 0); i += 1 }
                        out += Array(String(Character(UnicodeScalar(v) ?? "?")).utf8)
                    default: out.append(e)
                    }
                } else {
                    out.append(bytes[i])
                    i += 1
                }
            }
            i += 1
            return out
        }

        func hexDigit(_ b: UInt8) -> Int? {
            switch b {
            case 48...57: Int(b - 48)
            case 97...102: Int(b - 87)
            case 65...70: Int(b - 55)
            default: nil
            }
        }
    }
}
