/// A token of a CEL expression, with where it starts.
struct Token: Equatable {
    enum Kind: Equatable {
        case int(Int64), uint(UInt64), double(Double), string(String), bytes([UInt8])
        case identifier(String)
        /// A reserved word: an error as an identifier, allowed as a field name after a dot.
        case reservedWord(String)
        /// A field name in backticks, a.`b-c`: taken literally, allowed only as a field name.
        case quotedIdentifier(String)
        case `true`, `false`, null
        case op(String)
        case end
    }

    var kind: Kind
    var offset: Int
}

/// Splits an expression into tokens: literals with every CEL quoting form and escape, identifiers,
/// reserved words and operators.
struct Lexer {
    static let reserved: Set<String> = ["as", "break", "const", "continue", "else", "for", "function", "if", "import",
                                        "let", "loop", "package", "namespace", "return", "var", "void", "while"]
    let chars: [Character]
    var i = 0

    init(_ text: String) { chars = Array(text) }

    mutating func tokens() throws -> [Token] {
        var out: [Token] = []
        while true {
            skipSpaceAndComments()
            guard i < chars.count else { out.append(Token(kind: .end, offset: i)); return out }
            out.append(try next())
        }
    }

    mutating func skipSpaceAndComments() {
        while i < chars.count {
            if chars[i].isWhitespace { i += 1; continue }
            if chars[i] == "/", i + 1 < chars.count, chars[i + 1] == "/" {
                while i < chars.count, chars[i] != "\n" { i += 1 }
                continue
            }
            return
        }
    }

    func error(_ message: String, at offset: Int) -> CELError {
        CELError(message, line: nil, column: offset)  // converted to line/column by the parser
    }

    mutating func next() throws -> Token {
        let start = i
        let c = chars[i]
        if c.isLetter || c == "_" {
            // A string or bytes prefix (r, b, rb, br) directly before a quote.
            var j = i
            var prefix = ""
            while j < chars.count, j - i < 2, "rRbB".contains(chars[j]) { prefix.append(chars[j]); j += 1 }
            if !prefix.isEmpty, j < chars.count, chars[j] == "\"" || chars[j] == "'" {
                i = j
                let raw = prefix.lowercased().contains("r"), bytes = prefix.lowercased().contains("b")
                let text = try quoted(raw: raw, bytes: bytes, start: start)
                return Token(kind: bytes ? .bytes(text) : .string(String(decoding: text, as: UTF8.self)), offset: start)
            }
            var word = ""
            while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" { word.append(chars[i]); i += 1 }
            switch word {
            case "true": return Token(kind: .true, offset: start)
            case "false": return Token(kind: .false, offset: start)
            case "null": return Token(kind: .null, offset: start)
            default:
                if Self.reserved.contains(word) { return Token(kind: .reservedWord(word), offset: start) }
                return Token(kind: .identifier(word), offset: start)
            }
        }
        if c.isNumber || (c == "." && i + 1 < chars.count && chars[i + 1].isNumber) { return try number() }
        if c == "\"" || c == "'" {
            let text = try quoted(raw: false, bytes: false, start: start)
            return Token(kind: .string(String(decoding: text, as: UTF8.self)), offset: start)
        }
        for op in ["==", "!=", "<=", ">=", "&&", "||"] where i + 1 < chars.count && String(chars[i...i + 1]) == op {
            i += 2
            return Token(kind: .op(op), offset: start)
        }
        if c == "`" {
            i += 1
            var name = ""
            while i < chars.count, chars[i] != "`" {
                // The CEL grammar allows letters, digits, '_', '.', '-', '/' and spaces here.
                guard chars[i].isLetter || chars[i].isNumber || "_.-/ ".contains(chars[i]) else {
                    throw error("unexpected character '\(chars[i])' in a quoted field name", at: i)
                }
                name.append(chars[i])
                i += 1
            }
            guard i < chars.count, !name.isEmpty else { throw error("unterminated or empty quoted field name", at: start) }
            i += 1
            return Token(kind: .quotedIdentifier(name), offset: start)
        }
        if "+-*/%<>!?:.,()[]{}".contains(c) {
            i += 1
            return Token(kind: .op(String(c)), offset: start)
        }
        throw error("unexpected character '\(c)'", at: start)
    }

    mutating func number() throws -> Token {
        let start = i
        if chars[i] == "0", i + 1 < chars.count, chars[i + 1] == "x" || chars[i + 1] == "X" {
            i += 2
            var digits = ""
            while i < chars.count, chars[i].isHexDigit { digits.append(chars[i]); i += 1 }
            if i < chars.count, chars[i] == "u" || chars[i] == "U" {
                i += 1
                guard let u = UInt64(digits, radix: 16) else { throw error("invalid uint literal", at: start) }
                return Token(kind: .uint(u), offset: start)
            }
            guard let v = Int64(digits, radix: 16) else { throw error("invalid int literal", at: start) }
            return Token(kind: .int(v), offset: start)
        }
        var text = ""
        var isDouble = false
        while i < chars.count, chars[i].isNumber { text.append(chars[i]); i += 1 }
        if i + 1 < chars.count, chars[i] == ".", chars[i + 1].isNumber {
            isDouble = true
            text.append("."); i += 1
            while i < chars.count, chars[i].isNumber { text.append(chars[i]); i += 1 }
        }
        if i < chars.count, chars[i] == "e" || chars[i] == "E" {
            var j = i + 1
            var exponent = "e"
            if j < chars.count, chars[j] == "+" || chars[j] == "-" { exponent.append(chars[j]); j += 1 }
            if j < chars.count, chars[j].isNumber {
                while j < chars.count, chars[j].isNumber { exponent.append(chars[j]); j += 1 }
                text += exponent
                i = j
                isDouble = true
            }
        }
        if isDouble {
            guard let d = Double(text) else { throw error("invalid double literal", at: start) }
            return Token(kind: .double(d), offset: start)
        }
        if i < chars.count, chars[i] == "u" || chars[i] == "U" {
            i += 1
            guard let u = UInt64(text) else { throw error("invalid uint literal", at: start) }
            return Token(kind: .uint(u), offset: start)
        }
        guard let v = Int64(text) else {
            // The most negative int is written as -9223372036854775808: the parser negates this magnitude.
            if text == "9223372036854775808" { return Token(kind: .uint(9_223_372_036_854_775_808), offset: start) }
            throw error("invalid int literal: out of range", at: start)
        }
        return Token(kind: .int(v), offset: start)
    }

    /// A quoted string or bytes literal starting at `i` (the quote), as UTF-8 bytes.
    mutating func quoted(raw: Bool, bytes: Bool, start: Int) throws -> [UInt8] {
        let quote = chars[i]
        let triple = i + 2 < chars.count && chars[i + 1] == quote && chars[i + 2] == quote
        i += triple ? 3 : 1
        var out: [UInt8] = []
        func append(_ c: Character) { out.append(contentsOf: Array(String(c).utf8)) }
        while true {
            guard i < chars.count else { throw error("unterminated string literal", at: start) }
            let c = chars[i]
            if triple, c == quote, i + 2 < chars.count, chars[i + 1] == quote, chars[i + 2] == quote { i += 3; return out }
            if !triple, c == quote { i += 1; return out }
            if !triple, c == "\n" || c == "\r" { throw error("newline in a single-quoted string literal", at: i) }
            if c == "\\", !raw {
                i += 1
                guard i < chars.count else { throw error("unterminated escape", at: i) }
                let e = chars[i]
                i += 1
                switch e {
                case "n": out.append(10)
                case "r": out.append(13)
                case "t": out.append(9)
                case "a": out.append(7)
                case "b": out.append(8)
                case "f": out.append(12)
                case "v": out.append(11)
                case "\\", "'", "\"", "`", "?": append(e)
                case "x", "X":
                    let v = try hex(2, start: start)
                    if bytes { out.append(UInt8(v)) } else { try appendScalar(v, &out, start) }
                case "u":
                    if bytes { throw error("\\u escape in bytes literal", at: i) }
                    try appendScalar(try hex(4, start: start), &out, start)
                case "U":
                    if bytes { throw error("\\U escape in bytes literal", at: i) }
                    try appendScalar(try hex(8, start: start), &out, start)
                case "0"..."3":
                    var v = Int(String(e))!
                    for _ in 0..<2 {
                        guard i < chars.count, let d = Int(String(chars[i])), d < 8 else { throw error("invalid octal escape", at: i) }
                        v = v * 8 + d
                        i += 1
                    }
                    if bytes { out.append(UInt8(v)) } else { try appendScalar(v, &out, start) }
                default:
                    throw error("invalid escape sequence \\\(e)", at: i - 2)
                }
                continue
            }
            append(c)
            i += 1
        }
    }

    mutating func hex(_ n: Int, start: Int) throws -> Int {
        guard i + n <= chars.count, let v = Int(String(chars[i..<i + n]), radix: 16) else {
            throw error("invalid hex escape", at: i)
        }
        i += n
        return v
    }

    func appendScalar(_ v: Int, _ out: inout [UInt8], _ start: Int) throws {
        guard let scalar = Unicode.Scalar(UInt32(v)) else { throw error("invalid unicode code point in escape", at: start) }
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
    }
}
