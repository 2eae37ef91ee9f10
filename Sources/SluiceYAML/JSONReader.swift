import SluiceCore

/// A strict RFC 8259 JSON parser over UTF-8 bytes that records each node's line and column.
struct JSONReader {
    private let input: UnsafeBufferPointer<UInt8>
    private let file: String
    private let fileID: UInt32
    private let maxDepth: Int
    private var i = 0
    private var depth = 0
    private var line = 1
    private var lineStart = 0
    /// A point on the current line whose column is known, so columns (in characters) are
    /// found without rescanning long lines: nodes are located in increasing order.
    private var checkpointOffset = 0
    private var checkpointColumn = 1
    private let keys = KeyInterner()
    /// Scratch space for strings with escapes.
    private var scratch: [UInt8] = []

    init(_ input: UnsafeBufferPointer<UInt8>, file: String, maxDepth: Int) {
        self.input = input
        self.file = file
        self.fileID = SourceFileNames.id(of: file)
        self.maxDepth = maxDepth
    }

    mutating func document() throws -> Value {
        skipWhitespace()
        guard i < input.count else { throw error("the input is empty", hint: "write a JSON value") }
        let value = try readValue()
        skipWhitespace()
        if i < input.count {
            throw error("unexpected \(describe(input[i])) after the JSON value", hint: "a JSON text holds exactly one value")
        }
        return value
    }

    // MARK: - Positions and errors

    private mutating func location(at offset: Int) -> NodeLocation {
        if offset < checkpointOffset || checkpointOffset < lineStart {
            checkpointOffset = lineStart
            checkpointColumn = 1
        }
        var column = checkpointColumn
        var k = checkpointOffset
        while k < offset {
            if input[k] & 0xC0 != 0x80 { column += 1 }
            k += 1
        }
        checkpointOffset = offset
        checkpointColumn = column
        return NodeLocation(fileID: fileID, line: line, column: column)
    }

    private func source(_ location: NodeLocation) -> SourceLocation {
        SourceLocation(file: file, line: Int(location.line), column: Int(location.column))
    }

    private mutating func error(_ message: String, at offset: Int? = nil, hint: String? = nil) -> YAMLError {
        YAMLError(at: source(location(at: min(offset ?? i, input.count))), message, hint: hint)
    }

    private func describe(_ b: UInt8) -> String {
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x" + String(b, radix: 16, uppercase: true)
    }

    private mutating func skipWhitespace() {
        while i < input.count {
            switch input[i] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                i += 1
            case UInt8(ascii: "\n"):
                i += 1
                line += 1
                lineStart = i
            default:
                return
            }
        }
    }

    // MARK: - Values

    private mutating func readValue() throws -> Value {
        guard i < input.count else { throw error("unexpected end of input, expected a value") }
        let start = i
        switch input[i] {
        case UInt8(ascii: "{"): return try readObject()
        case UInt8(ascii: "["): return try readArray()
        case UInt8(ascii: "\""):
            let loc = location(at: start)
            return Value(.string(try readString()), at: loc)
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try readNumber()
        default:
            throw error(
                "expected a value, found \(describe(input[i]))",
                hint: "strings need double quotes; JSON has no comments, NaN or single quotes")
        }
    }

    private mutating func literal(_ word: StaticString, _ kind: Value.Kind) throws -> Value {
        let loc = location(at: i)
        let n = word.utf8CodeUnitCount
        guard i + n <= input.count else { throw error("invalid literal, expected \(word)") }
        for k in 0..<n where input[i + k] != word.utf8Start[k] {
            throw error("invalid literal, expected \(word)")
        }
        i += n
        return Value(kind, at: loc)
    }

    private mutating func enter() throws {
        depth += 1
        if depth > maxDepth {
            throw error("arrays and objects are nested more than \(maxDepth) levels deep", hint: "flatten the structure")
        }
    }

    private mutating func readArray() throws -> Value {
        let loc = location(at: i)
        try enter()
        i += 1
        var items: [Value] = []
        skipWhitespace()
        if i < input.count, input[i] == UInt8(ascii: "]") {
            i += 1
            depth -= 1
            return Value(.list(items), at: loc)
        }
        // Bounded by the input: every iteration consumes at least one value.
        while true {
            skipWhitespace()
            if !items.isEmpty, i < input.count, input[i] == UInt8(ascii: "]") {
                throw error("trailing comma before ']'", hint: "remove the comma after the last element")
            }
            items.append(try readValue())
            skipWhitespace()
            guard i < input.count else { throw error("unexpected end of input in an array, expected ',' or ']'") }
            if input[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            if input[i] == UInt8(ascii: "]") {
                i += 1
                break
            }
            throw error("expected ',' or ']' in an array, found \(describe(input[i]))")
        }
        depth -= 1
        return Value(.list(items), at: loc)
    }

    private mutating func readObject() throws -> Value {
        let loc = location(at: i)
        try enter()
        i += 1
        var entries: [Mapping.Entry] = []
        var index: [String: Int] = [:]
        skipWhitespace()
        if i < input.count, input[i] == UInt8(ascii: "}") {
            i += 1
            depth -= 1
            return Value(.map(Mapping()), at: loc)
        }
        while true {
            skipWhitespace()
            guard i < input.count else { throw error("unexpected end of input in an object, expected a key") }
            guard input[i] == UInt8(ascii: "\"") else {
                if input[i] == UInt8(ascii: "}") {
                    throw error("trailing comma before '}'", hint: "remove the comma after the last member")
                }
                throw error("expected a string key, found \(describe(input[i]))", hint: "object keys are double-quoted strings")
            }
            let keyLocation = location(at: i)
            let key = try readString(key: true)
            if let first = firstLocation(of: key, in: entries, index: &index) {
                throw YAMLError(
                    at: source(keyLocation), "duplicate key \"\(key)\" (first written at line \(first.line), column \(first.column))",
                    hint: "remove one of the two")
            }
            skipWhitespace()
            guard i < input.count, input[i] == UInt8(ascii: ":") else {
                throw error("expected ':' after an object key" + (i < input.count ? ", found \(describe(input[i]))" : ""))
            }
            i += 1
            skipWhitespace()
            let value = try readValue()
            entries.append(Mapping.Entry(key: key, value: value, keyLocation: keyLocation))
            skipWhitespace()
            guard i < input.count else { throw error("unexpected end of input in an object, expected ',' or '}'") }
            if input[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            if input[i] == UInt8(ascii: "}") {
                i += 1
                break
            }
            throw error("expected ',' or '}' in an object, found \(describe(input[i]))")
        }
        depth -= 1
        return Value(.map(Mapping(entries)), at: loc)
    }

    private func firstLocation(of key: String, in entries: [Mapping.Entry], index: inout [String: Int]) -> NodeLocation? {
        if entries.count < 16 {
            for e in entries where e.key == key { return e.keyNodeLocation }
            return nil
        }
        if index.count < entries.count {
            for k in index.count..<entries.count { index[entries[k].key] = k }
        }
        return index[key].map { entries[$0].keyNodeLocation }
    }

    // MARK: - Numbers

    private mutating func readNumber() throws -> Value {
        let start = i
        let loc = location(at: start)
        var negative = false
        if input[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard i < input.count, isDigit(input[i]) else { throw error("expected a digit in a number") }
        var magnitude: UInt64 = 0
        var overflow = false
        if input[i] == UInt8(ascii: "0") {
            i += 1
            if i < input.count, isDigit(input[i]) {
                throw error("a number cannot have leading zeros", at: start)
            }
        } else {
            while i < input.count, isDigit(input[i]) {
                let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(input[i] - UInt8(ascii: "0")))
                magnitude = a
                overflow = overflow || o1 || o2
                i += 1
            }
        }
        var isInteger = true
        if i < input.count, input[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard i < input.count, isDigit(input[i]) else { throw error("expected a digit after the decimal point") }
            while i < input.count, isDigit(input[i]) { i += 1 }
        }
        if i < input.count, input[i] == UInt8(ascii: "e") || input[i] == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            if i < input.count, input[i] == UInt8(ascii: "+") || input[i] == UInt8(ascii: "-") { i += 1 }
            guard i < input.count, isDigit(input[i]) else { throw error("expected a digit in the exponent") }
            while i < input.count, isDigit(input[i]) { i += 1 }
        }
        if isInteger && !overflow {
            if negative, magnitude <= UInt64(Int.max) + 1 {
                return Value(.int(magnitude == UInt64(Int.max) + 1 ? Int.min : -Int(magnitude)), at: loc)
            }
            if !negative, magnitude <= UInt64(Int.max) { return Value(.int(Int(magnitude)), at: loc) }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: input[start..<i]), as: UTF8.self)
        guard let d = Double(text), d.isFinite else {
            throw error("the number \(text) is out of range", at: start)
        }
        return Value(.double(d), at: loc)
    }

    @inline(__always) private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    // MARK: - Strings

    /// Reads a string starting at its opening quote.
    /// A string; `key` reads it through the interner, as object keys repeat across objects.
    private mutating func readString(key: Bool = false) throws -> String {
        let open = i
        i += 1
        let start = i
        var hasEscapes = false
        var hasNonASCII = false
        // Fast scan: most strings have no escapes and are ASCII.
        while i < input.count {
            let b = input[i]
            if b == UInt8(ascii: "\"") { break }
            if b == UInt8(ascii: "\\") {
                hasEscapes = true
                break
            }
            if b < 0x20 { throw error("a control character (0x\(String(b, radix: 16))) must be escaped in a string") }
            if b >= 0x80 { hasNonASCII = true }
            i += 1
        }
        guard i < input.count else { throw error("unterminated string", at: open, hint: "add the closing '\"'") }
        if !hasEscapes {
            let slice = UnsafeBufferPointer(rebasing: input[start..<i])
            if hasNonASCII { try validateUTF8(slice, offset: start) }
            i += 1
            return key ? keys.key(slice) : String(decoding: slice, as: UTF8.self)
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[start..<i]))
        if hasNonASCII { try validateUTF8(UnsafeBufferPointer(rebasing: input[start..<i]), offset: start) }
        while i < input.count {
            let b = input[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if b < 0x20 { throw error("a control character (0x\(String(b, radix: 16))) must be escaped in a string") }
            if b == UInt8(ascii: "\\") {
                try readEscape()
                continue
            }
            // Copy a run of ordinary bytes, validating any UTF-8 in it.
            let runStart = i
            while i < input.count, input[i] >= 0x20, input[i] != UInt8(ascii: "\""), input[i] != UInt8(ascii: "\\") {
                i += 1
            }
            let run = UnsafeBufferPointer(rebasing: input[runStart..<i])
            try validateUTF8(run, offset: runStart)
            scratch.append(contentsOf: run)
        }
        throw error("unterminated string", at: open, hint: "add the closing '\"'")
    }

    private mutating func readEscape() throws {
        let escapeStart = i
        i += 1
        guard i < input.count else { throw error("unterminated escape sequence", at: escapeStart) }
        let c = input[i]
        i += 1
        switch c {
        case UInt8(ascii: "\""): scratch.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): scratch.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): scratch.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var code = try hex4(escapeStart)
            if code >= 0xD800 && code < 0xDC00 {
                guard i + 1 < input.count, input[i] == UInt8(ascii: "\\"), input[i + 1] == UInt8(ascii: "u") else {
                    throw error("a high surrogate \\u\(String(code, radix: 16)) must be followed by a low surrogate", at: escapeStart)
                }
                let lowStart = i
                i += 2
                let low = try hex4(lowStart)
                guard low >= 0xDC00 && low < 0xE000 else {
                    throw error("expected a low surrogate after \\u\(String(code, radix: 16))", at: lowStart)
                }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else if code >= 0xDC00 && code < 0xE000 {
                throw error("a lone low surrogate \\u\(String(code, radix: 16))", at: escapeStart)
            }
            let scalar = Unicode.Scalar(code)!  // surrogates are excluded above
            scratch.append(contentsOf: UTF8.encode(scalar)!)
        default:
            throw error("invalid escape sequence \\\(describe(c))", at: escapeStart, hint: "valid escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX")
        }
    }

    private mutating func hex4(_ escapeStart: Int) throws -> UInt32 {
        guard i + 4 <= input.count else { throw error("a \\u escape needs 4 hex digits", at: escapeStart) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = input[i]
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error("a \\u escape needs 4 hex digits", at: escapeStart)
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    /// Refuses malformed UTF-8 (overlong forms, surrogates, truncated sequences).
    private mutating func validateUTF8(_ bytes: UnsafeBufferPointer<UInt8>, offset: Int) throws {
        var k = 0
        while k < bytes.count {
            let b = bytes[k]
            if b < 0x80 {
                k += 1
                continue
            }
            let length: Int
            let minimum: UInt32
            var code: UInt32
            switch b {
            case 0xC2...0xDF: length = 2; minimum = 0x80; code = UInt32(b & 0x1F)
            case 0xE0...0xEF: length = 3; minimum = 0x800; code = UInt32(b & 0x0F)
            case 0xF0...0xF4: length = 4; minimum = 0x10000; code = UInt32(b & 0x07)
            default: throw error("invalid UTF-8 in a string", at: offset + k, hint: "save the file as UTF-8")
            }
            guard k + length <= bytes.count else {
                throw error("invalid UTF-8 in a string", at: offset + k, hint: "save the file as UTF-8")
            }
            for n in 1..<length {
                let c = bytes[k + n]
                guard c & 0xC0 == 0x80 else {
                    throw error("invalid UTF-8 in a string", at: offset + k, hint: "save the file as UTF-8")
                }
                code = code << 6 | UInt32(c & 0x3F)
            }
            if code < minimum || code > 0x10FFFF || (code >= 0xD800 && code < 0xE000) {
                throw error("invalid UTF-8 in a string", at: offset + k, hint: "save the file as UTF-8")
            }
            k += length
        }
    }
}
