#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
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

    /// `encode` as UTF-8 bytes, for writing without a String in between.
    public static func encodedBytes(_ value: Value, pretty: Bool = false, sortedKeys: Bool = false) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty, sortedKeys: sortedKeys)
        writer.write(value, indent: 0)
        return writer.bytes
    }

    /// `encode`, handed to `consume` in pieces of a few KiB while it is written: for hashing or
    /// streaming a value without holding its whole text. The pieces joined are `encodedBytes`.
    public static func encode(
        _ value: Value, pretty: Bool = false, sortedKeys: Bool = false, chunks consume: (UnsafeRawBufferPointer) -> Void
    ) {
        withoutActuallyEscaping(consume) { consume in
            var writer = JSONWriter(pretty: pretty, sortedKeys: sortedKeys, sink: consume)
            writer.write(value, indent: 0)
            writer.flush()
        }
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

/// Serialises values into UTF-8 bytes: kept whole, or handed to a sink whenever a few KiB are ready.
struct JSONWriter {
    let pretty: Bool
    let sortedKeys: Bool
    var bytes: [UInt8] = []
    private let sink: ((UnsafeRawBufferPointer) -> Void)?
    private static let chunkSize = 4096

    init(pretty: Bool, sortedKeys: Bool, sink: ((UnsafeRawBufferPointer) -> Void)? = nil) {
        self.pretty = pretty
        self.sortedKeys = sortedKeys
        self.sink = sink
        bytes.reserveCapacity(sink == nil ? 256 : Self.chunkSize + 256)
    }

    /// Hands what is written so far to the sink (nothing without one).
    mutating func flush() {
        guard let sink, !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { sink($0) }
        bytes.removeAll(keepingCapacity: true)
    }

    mutating func write(_ v: Value, indent: Int) {
        if sink != nil, bytes.count >= Self.chunkSize { flush() }
        switch v.kind {
        case .null: append("null")
        case .bool(let b): append(b ? "true" : "false")
        case .int(let i): integer(i)
        case .double(let d): if d.isFinite { appendText(d.description) } else { append("null") }
        case .string(let s): string(s)
        case .list(let l):
            if l.isEmpty { return append("[]") }
            bytes.append(UInt8(ascii: "["))
            var first = true
            for item in l {
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                newline(indent + 2)
                write(item, indent: indent + 2)
            }
            newline(indent)
            bytes.append(UInt8(ascii: "]"))
        case .map(let m):
            if m.isEmpty { return append("{}") }
            bytes.append(UInt8(ascii: "{"))
            let entries = m.entries
            if sortedKeys, !Self.isSorted(entries) {
                // Sorting positions, not entries: no copies of keys and values to retain and release.
                withUnsafeTemporaryAllocation(of: Int.self, capacity: entries.count) { buffer in
                    var order = buffer
                    for k in 0..<entries.count { order.initializeElement(at: k, to: k) }
                    order.sort { Self.precedes(entries[$0].key, entries[$1].key) }
                    for (n, k) in order.enumerated() { member(entries[k], first: n == 0, indent: indent) }
                }
            } else {
                for k in 0..<entries.count { member(entries[k], first: k == 0, indent: indent) }
            }
            newline(indent)
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private mutating func member(_ e: Mapping.Entry, first: Bool, indent: Int) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        newline(indent + 2)
        string(e.key)
        bytes.append(UInt8(ascii: ":"))
        if pretty { bytes.append(UInt8(ascii: " ")) }
        write(e.value, indent: indent + 2)
    }

    /// Whether keys are in UTF-8 byte order already (often so: sorting is then skipped).
    private static func isSorted(_ entries: [Mapping.Entry]) -> Bool {
        var k = 1
        while k < entries.count {
            if !precedes(entries[k - 1].key, entries[k].key) { return false }
            k += 1
        }
        return true
    }

    /// `a` before `b` in UTF-8 byte order (which is code point order).
    static func precedes(_ a: String, _ b: String) -> Bool {
        let fast = a.utf8.withContiguousStorageIfAvailable { pa in
            b.utf8.withContiguousStorageIfAvailable { pb -> Bool in
                let n = min(pa.count, pb.count)
                if n > 0, let x = pa.baseAddress, let y = pb.baseAddress {
                    let c = memcmp(x, y, n)
                    if c != 0 { return c < 0 }
                }
                return pa.count < pb.count
            }
        }
        if let fast, let result = fast { return result }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    private mutating func newline(_ indent: Int) {
        guard pretty else { return }
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent))
    }

    private mutating func append(_ s: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    private mutating func appendText(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// The decimal digits of `i`, as `String(i)` writes them.
    private mutating func integer(_ i: Int) {
        var magnitude = i.magnitude
        if i < 0 { bytes.append(UInt8(ascii: "-")) }
        if magnitude < 10 { return bytes.append(UInt8(ascii: "0") + UInt8(magnitude)) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            while magnitude > 0 {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        if s.utf8.withContiguousStorageIfAvailable({ escaped($0) }) == nil {
            var copy = s
            copy.withUTF8 { escaped($0) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// The text of a string without its quotes: runs that need no escaping are copied whole.
    private mutating func escaped(_ text: UnsafeBufferPointer<UInt8>) {
        var run = 0
        for k in 0..<text.count {
            let b = text[k]
            guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
            if run < k { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[run..<k])) }
            run = k + 1
            switch b {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\n"): append("\\n")
            case UInt8(ascii: "\r"): append("\\r")
            case UInt8(ascii: "\t"): append("\\t")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            default:
                append("\\u00")
                bytes.append(Self.hexDigits[Int(b >> 4)])
                bytes.append(Self.hexDigits[Int(b & 0xF)])
            }
        }
        // UTF-8 passes through, non-BMP characters included.
        if run < text.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[run...])) }
    }
}
