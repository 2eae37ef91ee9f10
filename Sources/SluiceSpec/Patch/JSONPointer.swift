import SluiceCore
import SluiceYAML

/// A JSON Pointer (RFC 6901): a path into a document such as `/spec/job/args/0`.
///
/// `~1` stands for `/` and `~0` for `~` inside a token; the empty pointer `""` is the whole document.
/// The token `-` names the position after the last element of a list (used by JSON Patch `add`).
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// The unescaped reference tokens, outermost first.
    public var tokens: [String]

    /// A pointer made of already unescaped tokens.
    public init(tokens: [String]) { self.tokens = tokens }

    /// Parses the string form; throws `JSONPointerSyntaxError` when it does not start with `/`
    /// (and is not empty) or has a `~` not followed by `0` or `1`.
    public init(parsing text: String) throws {
        if text.isEmpty { tokens = []; return }
        guard text.hasPrefix("/") else {
            throw JSONPointerSyntaxError(pointer: text, reason: "a pointer must be empty or start with '/'")
        }
        var tokens: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            // Decode character by character so that "~01" becomes "~1" (RFC 6901 section 4).
            var token = ""
            var iterator = raw.makeIterator()
            while let c = iterator.next() {
                guard c == "~" else { token.append(c); continue }
                switch iterator.next() {
                case "0": token.append("~")
                case "1": token.append("/")
                default:
                    throw JSONPointerSyntaxError(pointer: text, reason: "'~' must be followed by '0' or '1'")
                }
            }
            tokens.append(token)
        }
        self.tokens = tokens
    }

    /// The string form, escaped.
    public var description: String {
        tokens.map { "/" + $0.replacingTildes() }.joined()
    }

    /// Whether `self` is a proper prefix of `other` (e.g. `/a` of `/a/b`, not of `/a` nor `/ab`).
    public func isProperPrefix(of other: JSONPointer) -> Bool {
        tokens.count < other.tokens.count && Array(other.tokens.prefix(tokens.count)) == tokens
    }

    /// The value the pointer refers to in `document`, or `nil` when it does not exist.
    public func resolve(in document: Value) -> Value? {
        var current = document
        for token in tokens {
            switch current.kind {
            case .map(let m):
                guard let next = m[token] else { return nil }
                current = next
            case .list(let l):
                guard let index = JSONPointer.index(token), index < l.count else { return nil }
                current = l[index]
            default:
                return nil
            }
        }
        return current
    }

    /// The list index a token denotes: decimal digits without leading zeros; `nil` otherwise (also for `-`).
    static func index(_ token: String) -> Int? {
        guard !token.isEmpty, token.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              token == "0" || !token.hasPrefix("0") else { return nil }
        return Int(token)
    }
}

/// A JSON Pointer that cannot be parsed.
public struct JSONPointerSyntaxError: SluiceError, Hashable {
    /// The pointer as written.
    public var pointer: String
    /// Why it is invalid.
    public var reason: String

    /// The pointer and the reason.
    public var message: String { "invalid JSON pointer \"\(pointer)\": \(reason)" }
    /// An example of the syntax.
    public var hint: String? { "write pointers like /spec/job/parallelism; escape '/' as ~1 and '~' as ~0" }
}

extension String {
    /// The token escaped for a pointer: `~` as `~0`, then `/` as `~1`.
    fileprivate func replacingTildes() -> String {
        var out = ""
        for c in self {
            switch c {
            case "~": out += "~0"
            case "/": out += "~1"
            default: out.append(c)
            }
        }
        return out
    }
}
