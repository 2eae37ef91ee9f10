/// Writes `Value`s as block-style YAML that `YAML.parse` reads back to an equal value.
///
/// Strings are written plain when they would read back as the same string, as literal blocks
/// (`|`) when they span lines and a block keeps them exactly, and double-quoted otherwise.
struct YAMLEmitter {
    var output = ""

    /// Keys longer than this use the explicit `? key` form: libyaml limits implicit keys to 1024 characters.
    private static let maxImplicitKeyLength = 1000

    mutating func document(_ value: Value) {
        switch value.kind {
        case .map(let m) where !m.isEmpty:
            map(m, indent: 0, firstLineStarted: false)
        case .list(let l) where !l.isEmpty:
            list(l, indent: 0, firstLineStarted: false)
        default:
            if case .string(let s) = value.kind, let block = Self.literalBlock(s) {
                output += block.header
                lines(block.lines, indent: 2)
            } else {
                output += Self.scalarText(value)
                output += "\n"
            }
        }
    }

    // MARK: - Collections

    private mutating func map(_ m: Mapping, indent: Int, firstLineStarted: Bool) {
        for (i, entry) in m.entries.enumerated() {
            if i > 0 || !firstLineStarted { spaces(indent) }
            let key = Self.stringText(entry.key)
            if key.utf8.count > Self.maxImplicitKeyLength {
                output += "? "
                output += key
                output += "\n"
                spaces(indent)
            } else {
                output += key
            }
            output += ":"
            value(entry.value, indent: indent + 2, afterDash: false)
        }
    }

    private mutating func list(_ l: [Value], indent: Int, firstLineStarted: Bool) {
        for (i, item) in l.enumerated() {
            if i > 0 || !firstLineStarted { spaces(indent) }
            output += "-"
            value(item, indent: indent + 2, afterDash: true)
        }
    }

    /// Writes a value after `key:` or `-`; nested collections go on the next lines at
    /// `indent`, except that after `-` their first entry shares the dash's line (`- name: x`).
    private mutating func value(_ v: Value, indent: Int, afterDash: Bool) {
        switch v.kind {
        case .map(let m) where !m.isEmpty:
            if afterDash {
                output += " "
                map(m, indent: indent, firstLineStarted: true)
            } else {
                output += "\n"
                map(m, indent: indent, firstLineStarted: false)
            }
        case .list(let l) where !l.isEmpty:
            if afterDash {
                output += " "
                list(l, indent: indent, firstLineStarted: true)
            } else {
                output += "\n"
                list(l, indent: indent, firstLineStarted: false)
            }
        case .string(let s):
            if let block = Self.literalBlock(s) {
                output += " "
                output += block.header
                lines(block.lines, indent: indent)
            } else {
                output += " "
                output += Self.stringText(s)
                output += "\n"
            }
        default:
            output += " "
            output += Self.scalarText(v)
            output += "\n"
        }
    }

    private static let indentation = String(repeating: " ", count: 128)

    private mutating func spaces(_ n: Int) {
        var left = n
        while left > 0 {
            let chunk = min(left, 128)
            output.append(contentsOf: Self.indentation.prefix(chunk))
            left -= chunk
        }
    }

    private mutating func lines(_ blockLines: [Substring], indent: Int) {
        for line in blockLines {
            if !line.isEmpty {
                spaces(indent)
                output += line
            }
            output += "\n"
        }
    }

    // MARK: - Scalars

    static func scalarText(_ v: Value) -> String {
        switch v.kind {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .int(let i): String(i)
        case .double(let d): doubleText(d)
        case .string(let s): stringText(s)
        case .list: "[]"
        case .map: "{}"
        }
    }

    /// The shortest text that reads back as the same double, always recognisably a float.
    static func doubleText(_ d: Double) -> String {
        if d.isNaN { return ".nan" }
        if d.isInfinite { return d < 0 ? "-.inf" : ".inf" }
        // Swift's description is the shortest round-trip form and keeps "1.0" a float.
        return d.description
    }

    /// A string as a plain scalar when that reads back as the same string, else double-quoted.
    static func stringText(_ s: String) -> String {
        isPlainSafe(s) ? s : doubleQuoted(s)
    }

    static func isPlainSafe(_ s: String) -> Bool {
        let u = s.utf8
        guard let first = u.first, let last = u.last else { return false }
        guard ScalarResolver.resolvePlain(s) == .string else { return false }
        if first == UInt8(ascii: " ") || last == UInt8(ascii: " ") || last == UInt8(ascii: ":") { return false }
        if s.hasPrefix("---") || s.hasPrefix("...") { return false }
        switch first {
        case UInt8(ascii: "-"):
            // "-x" is plain, "- x" and "-" start a list.
            guard u.count >= 2 else { return false }
            let second = u[u.index(after: u.startIndex)]
            if second == UInt8(ascii: " ") { return false }
        case UInt8(ascii: "?"), UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"),
            UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "#"), UInt8(ascii: "&"), UInt8(ascii: "*"),
            UInt8(ascii: "!"), UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "'"), UInt8(ascii: "\""),
            UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "`"):
            return false
        default:
            break
        }
        var previous: UInt8 = 0
        var hasNonASCII = false
        for b in u {
            if b < 0x20 || b == 0x7F { return false }
            if b >= 0x80 { hasNonASCII = true }
            if b == UInt8(ascii: "#"), previous == UInt8(ascii: " ") { return false }
            if b == UInt8(ascii: " "), previous == UInt8(ascii: ":") { return false }
            previous = b
        }
        if hasNonASCII {
            for scalar in s.unicodeScalars where needsEscape(scalar) { return false }
        }
        return true
    }

    /// Characters YAML cannot hold unescaped, or that libyaml would read as a line break.
    private static func needsEscape(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09, 0x0A: false
        case 0..<0x20, 0x7F: true
        case 0x80...0x9F: true  // C1 controls, including NEL (a YAML 1.1 line break)
        case 0x2028, 0x2029: true  // line and paragraph separators: line breaks in YAML 1.1
        case 0xFEFF, 0xFFFE, 0xFFFF: true
        default: false
        }
    }

    static func doubleQuoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\0": out += "\\0"
            default:
                if needsEscape(c) {
                    out += c.value <= 0xFF ? "\\x" + hex(c.value, width: 2) : "\\u" + hex(c.value, width: 4)
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out += "\""
        return out
    }

    private static func hex(_ v: UInt32, width: Int) -> String {
        let digits = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// A literal block (`|`, `|-` or `|+` and the lines) for a multi-line string that a block
    /// keeps exactly; nil when the string must be quoted instead.
    static func literalBlock(_ s: String) -> (header: String, lines: [Substring])? {
        let u = s.utf8
        guard let first = u.first, u.contains(UInt8(ascii: "\n")) else { return nil }
        // A first line that is empty or starts with a space would need an indentation indicator.
        if first == UInt8(ascii: "\n") || first == UInt8(ascii: " ") { return nil }
        for c in s.unicodeScalars where c == "\t" || needsEscape(c) { return nil }
        var body = Substring(s)
        var trailingNewlines = 0
        while body.last == "\n" {
            body = body.dropLast()
            trailingNewlines += 1
        }
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        // A line of spaces only could be taken for indentation or trailing blank space.
        for line in lines where !line.isEmpty && line.allSatisfy({ $0 == " " }) { return nil }
        let header: String
        switch trailingNewlines {
        case 0: header = "|-\n"
        case 1: header = "|\n"
        default: header = "|+\n"
        }
        let kept = Array(repeating: Substring(""), count: max(0, trailingNewlines - 1))
        return (header, lines + kept)
    }
}
