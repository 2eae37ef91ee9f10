import Foundation
import SluiceCore

/// An allowed signers file in the format of ssh-keygen(1) "ALLOWED SIGNERS" (the file Git's
/// `gpg.ssh.allowedSignersFile` names): one key per line,
/// `principals [options] keytype base64-key [comment]`, where principals is a comma-separated
/// list of patterns (`*` and `?` wildcards, `!` negation) and the options are `namespaces="..."`,
/// `valid-after="..."` and `valid-before="..."`. `cert-authority` lines are refused: Sluice trusts
/// listed keys only.
public struct AllowedSigners: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        /// The principal patterns, as written.
        public var principals: [String]
        public var key: SSHPublicKey
        /// The `namespaces=` patterns; `nil` allows every namespace.
        public var namespaces: [String]?
        public var validAfter: Date?
        public var validBefore: Date?
        /// Where the entry is written, for messages.
        public var location: SourceLocation
    }

    public var entries: [Entry]
    /// The file as given, for messages.
    public var file: String

    /// The file is read once, up to this size: an allowed signers file lists people, not data.
    public static let maximumSize = 1 << 20

    /// Reads and parses `path`; any line that cannot be used is an error naming its line.
    public init(contentsOf path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SignatureConfigurationError("cannot read the allowed signers file \(path)",
                                              hint: "pass a readable file to --allowed-signers (or $SLUICE_ALLOWED_SIGNERS)")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: Self.maximumSize + 1)) ?? Data()
        guard data.count <= Self.maximumSize else {
            throw SignatureConfigurationError("the allowed signers file \(path) is larger than \(Self.maximumSize) bytes")
        }
        try self.init(text: String(decoding: data, as: UTF8.self), file: path)
    }

    public init(text: String, file: String) throws {
        self.file = file
        var entries: [Entry] = []
        var problems: [Diagnostic] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let location = SourceLocation(file: file, line: index + 1, column: 1)
            do {
                entries.append(try Self.parse(line, at: location))
            } catch let problem as Diagnostic {
                problems.append(problem)
            }
        }
        if !problems.isEmpty { throw DiagnosticError(problems) }
        self.entries = entries
    }

    /// The entries for `key`, in file order.
    public func entries(for key: SSHPublicKey) -> [Entry] { entries.filter { $0.key.blob == key.blob } }

    // MARK: - Parsing

    private static func parse(_ line: String, at location: SourceLocation) throws -> Entry {
        func fail(_ message: String, _ hint: String = "write principals [options] keytype base64-key, as ssh-keygen(1) ALLOWED SIGNERS describes") -> Diagnostic {
            Diagnostic(at: location, message, hint: hint)
        }
        var scanner = FieldScanner(line)
        guard let principalsField = scanner.next(), !principalsField.isEmpty else { throw fail("an entry without principals") }
        let principals = principalsField.split(separator: ",").map(String.init)
        guard !principals.isEmpty, principals.allSatisfy({ !$0.isEmpty }) else { throw fail("an empty principal in \"\(principalsField)\"") }
        guard var field = scanner.next() else { throw fail("an entry without a key") }
        var namespaces: [String]?, validAfter: Date?, validBefore: Date?
        if !Self.isKeyType(field) {
            for option in Self.splitOptions(field) {
                let (name, value) = option
                switch name.lowercased() {
                case "cert-authority":
                    throw fail("cert-authority entries are not supported",
                               "list each signer's own key; Sluice does not verify SSH certificates")
                case "namespaces":
                    guard let value, !value.isEmpty else { throw fail("namespaces= needs a value") }
                    namespaces = value.split(separator: ",").map(String.init)
                case "valid-after", "valid-before":
                    guard let value, let date = Self.parseTime(value) else {
                        throw fail("\(name)=\"\(value ?? "")\" is not a time", "write YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, with a trailing Z for UTC")
                    }
                    if name.lowercased() == "valid-after" { validAfter = date } else { validBefore = date }
                default:
                    throw fail("unknown option \"\(name)\"", "allowed signers options are namespaces=, valid-after= and valid-before=")
                }
            }
            guard let next = scanner.next() else { throw fail("an entry without a key") }
            field = next
        }
        // Security-key (FIDO) keys are listed so the file stays usable as a team keeps it; a
        // signature by one is refused as unsupported when it is verified.
        guard SSHPublicKey.supportedTypes.contains(field) || Self.securityKeyTypes.contains(field) else {
            throw fail("key type \(field) is not supported", "use ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384 or ssh-rsa keys")
        }
        guard let encoded = scanner.next(), let blob = Data(base64Encoded: encoded) else { throw fail("the key after \(field) is not base64") }
        let key: SSHPublicKey
        do { key = try SSHPublicKey(blob: Array(blob)) } catch { throw fail("the \(field) key cannot be read: \(error)") }
        guard key.type == field else { throw fail("the key says it is \(key.type), the line says \(field)") }
        return Entry(principals: principals, key: key, namespaces: namespaces, validAfter: validAfter, validBefore: validBefore, location: location)
    }

    static let securityKeyTypes: Set<String> = ["sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"]

    private static func isKeyType(_ field: String) -> Bool {
        field.hasPrefix("ssh-") || field.hasPrefix("ecdsa-") || field.hasPrefix("sk-") || field.hasSuffix("@openssh.com")
    }

    /// `a,b="x,y",c` → [(a, nil), (b, "x,y"), (c, nil)]: commas inside quotes do not split.
    private static func splitOptions(_ field: String) -> [(String, String?)] {
        var options: [(String, String?)] = []
        var current = "", quoted = false
        for character in field {
            if character == "\"" { quoted.toggle(); current.append(character); continue }
            if character == ",", !quoted { options.append(option(current)); current = ""; continue }
            current.append(character)
        }
        if !current.isEmpty { options.append(option(current)) }
        return options
    }

    private static func option(_ text: String) -> (String, String?) {
        guard let equals = text.firstIndex(of: "=") else { return (text, nil) }
        var value = String(text[text.index(after: equals)...])
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
        return (String(text[..<equals]), value)
    }

    /// ssh-keygen's times: `YYYYMMDD`, `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS`, local time unless they end in `Z` (UTC).
    static func parseTime(_ text: String) -> Date? {
        var digits = text
        var zone = TimeZone.current
        if digits.hasSuffix("Z") || digits.hasSuffix("z") {
            digits.removeLast()
            zone = TimeZone(identifier: "UTC")!
        }
        guard [8, 12, 14].contains(digits.count), digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        let numbers = Array(digits)
        func number(_ range: Range<Int>) -> Int { Int(String(numbers[range])) ?? 0 }
        var components = DateComponents()
        components.year = number(0..<4)
        components.month = number(4..<6)
        components.day = number(6..<8)
        components.hour = digits.count >= 12 ? number(8..<10) : 0
        components.minute = digits.count >= 12 ? number(10..<12) : 0
        components.second = digits.count == 14 ? number(12..<14) : 0
        guard (1...12).contains(components.month!), (1...31).contains(components.day!), components.hour! < 24,
              components.minute! < 60, components.second! < 61 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar.date(from: components)
    }
}

/// OpenSSH's pattern lists (match.c): comma-separated patterns with `*` and `?`; a pattern that
/// starts with `!` and matches makes the whole list fail.
enum PatternList {
    static func matches(_ value: String, _ patterns: [String]) -> Bool {
        var matched = false
        for pattern in patterns {
            if pattern.hasPrefix("!") {
                if glob(Array(value.unicodeScalars), Array(pattern.dropFirst().unicodeScalars)) { return false }
            } else if glob(Array(value.unicodeScalars), Array(pattern.unicodeScalars)) {
                matched = true
            }
        }
        return matched
    }

    /// Iterative wildcard match (no recursion, linear backtracking): `*` any run, `?` one character.
    static func glob(_ text: [Unicode.Scalar], _ pattern: [Unicode.Scalar]) -> Bool {
        var t = 0, p = 0, star = -1, mark = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == "?" || pattern[p] == text[t] {
                t += 1; p += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p; mark = t; p += 1
            } else if star >= 0 {
                p = star + 1; mark += 1; t = mark
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}

/// Splits an allowed signers line into whitespace-separated fields; double quotes group (the
/// options field may hold `namespaces="git,file"`, a principal list may be quoted).
private struct FieldScanner {
    private let characters: [Character]
    private var index = 0

    init(_ line: String) { characters = Array(line) }

    mutating func next() -> String? {
        while index < characters.count, characters[index].isWhitespace { index += 1 }
        guard index < characters.count else { return nil }
        var field = "", quoted = false
        while index < characters.count, quoted || !characters[index].isWhitespace {
            if characters[index] == "\"" { quoted.toggle() }
            field.append(characters[index])
            index += 1
        }
        // A quoted principals field ("a@x,b@y") reads as its contents.
        if field.count >= 2, field.first == "\"", field.last == "\"", !field.dropFirst().dropLast().contains("\"") {
            return String(field.dropFirst().dropLast())
        }
        return field
    }
}
