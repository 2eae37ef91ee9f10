import SluiceCore

/// Reading and writing JSON (RFC 8259) with the same `Value` model as YAML.
public enum JSON {
    /// Writes `value` as JSON.
    ///
    /// - Parameters:
    ///   - pretty: one member per line, indented by 2 spaces, `"key": value`.
    ///   - sortedKeys: keys in byte order instead of their stored order.
    /// - Note: JSON has no NaN or infinity; such doubles are written as `null`.
    public static func encode(_ value: Value, pretty: Bool = false, sortedKeys: Bool = false) -> String {
        String(decoding: encodedBytes(value, pretty: pretty, sortedKeys: sortedKeys), as: UTF8.self)
    }

    /// `encode` as UTF-8 bytes, for hashing or writing without a String in between.
    public static func encodedBytes(_ value: Value, pretty: Bool = false, sortedKeys: Bool = false) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty, sortedKeys: sortedKeys)
        writer.write(value, indent: 0)
        return writer.bytes
    }

    /// Reads one JSON value, strictly: no comments, trailing commas, single quotes, leading
    /// zeros, NaN, raw control characters in strings, lone surrogates or invalid UTF-8.
    /// Objects keep their key order and a duplicate key is an error. Integers that fit `Int`
    /// stay integers; other numbers become doubles. Throws `YAMLError` with line and column.
    public static func decode(_ bytes: [UInt8], file: String = "<json>", maxDepth: Int = 200) throws -> Value {
        try bytes.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer, file: file, maxDepth: maxDepth)
            return try reader.document()
        }
    }

    /// Reads one JSON value from text; see `decode(_:file:maxDepth:)`.
    public static func decode(_ text: String, file: String = "<json>", maxDepth: Int = 200) throws -> Value {
        try decode(Array(text.utf8), file: file, maxDepth: maxDepth)
    }
}

/// Serialises values into UTF-8 bytes.
struct JSONWriter {
    let pretty: Bool
    let sortedKeys: Bool
    var bytes: [UInt8] = []

    init(pretty: Bool, sortedKeys: Bool) {
        self.pretty = pretty
        self.sortedKeys = sortedKeys
        bytes.reserveCapacity(256)
    }

    mutating func write(_ v: Value, indent: Int) {
        switch v.kind {
        case .null: append("null")
        case .bool(let b): append(b ? "true" : "false")
        case .int(let i): append(String(i))
        case .double(let d): append(d.isFinite ? d.description : "null")
        case .string(let s): string(s)
        case .list(let l):
            if l.isEmpty { return append("[]") }
            bytes.append(UInt8(ascii: "["))
            for (i, item) in l.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(indent + 2)
                write(item, indent: indent + 2)
            }
            newline(indent)
            bytes.append(UInt8(ascii: "]"))
        case .map(let m):
            if m.isEmpty { return append("{}") }
            bytes.append(UInt8(ascii: "{"))
            let entries = sortedKeys ? m.entries.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) } : m.entries
            for (i, e) in entries.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(indent + 2)
                string(e.key)
                bytes.append(UInt8(ascii: ":"))
                if pretty { bytes.append(UInt8(ascii: " ")) }
                write(e.value, indent: indent + 2)
            }
            newline(indent)
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private mutating func newline(_ indent: Int) {
        guard pretty else { return }
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent))
    }

    private mutating func append(_ s: String) { bytes.append(contentsOf: s.utf8) }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings (names, images, sizes) need no escaping: copy them whole.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: s.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\n"): append("\\n")
            case UInt8(ascii: "\r"): append("\\r")
            case UInt8(ascii: "\t"): append("\\t")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case 0..<0x20:
                append("\\u00")
                bytes.append(Self.hexDigits[Int(b >> 4)])
                bytes.append(Self.hexDigits[Int(b & 0xF)])
            default:
                bytes.append(b)  // UTF-8 passes through, non-BMP characters included
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
