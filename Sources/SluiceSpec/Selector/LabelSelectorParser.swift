import SluiceCore

extension LabelSelector {
    /// Parses the string form used by `kubectl -l` and Sluice's CLI flags and annotations:
    /// comma-separated requirements, each one of `key`, `!key`, `key=value`, `key==value`,
    /// `key!=value`, `key in (a,b)` and `key notin (a,b)`. Whitespace around tokens is ignored;
    /// the empty string is the empty selector (matches everything).
    ///
    /// Throws `LabelSelectorSyntaxError` for malformed text, `in`/`notin` with no values,
    /// unsupported operators (`<`, `>`) and invalid label keys or values.
    public init(parsing text: String) throws {
        var parser = SelectorParser(text: text)
        self.init(requirements: try parser.parse())
    }
}

/// A label selector string that cannot be parsed.
public struct LabelSelectorSyntaxError: SluiceError, Hashable {
    /// The selector as written.
    public var selector: String
    /// The 0-based character offset where the problem was found.
    public var position: Int
    /// What is wrong.
    public var reason: String

    /// The selector, the 1-based character position and the reason.
    public var message: String { "invalid label selector \"\(selector)\" at character \(position + 1): \(reason)" }
    /// An example of the syntax.
    public var hint: String? {
        "write requirements like app=orders,tier in (public,private),!legacy"
    }
}

/// A small hand-written lexer and recursive-descent parser; the grammar is tiny and the errors
/// should say exactly where the text went wrong.
private struct SelectorParser {
    enum Token: Equatable {
        case identifier(String)
        case not, equals, doubleEquals, notEquals, open, close, comma, unsupported(String), end
    }

    let text: String
    private let chars: [Character]
    private var index = 0
    private var tokenStart = 0

    init(text: String) {
        self.text = text
        chars = Array(text)
    }

    mutating func parse() throws -> [LabelSelector.Requirement] {
        var requirements: [LabelSelector.Requirement] = []
        if peek() == .end { return [] }
        while true {
            requirements.append(try requirement())
            switch next() {
            case .comma: continue
            case .end: return requirements
            case let token: throw failure("expected ',' or the end, found \(describe(token))")
            }
        }
    }

    private mutating func requirement() throws -> LabelSelector.Requirement {
        if peek() == .not {
            _ = next()
            let key = try key()
            return LabelSelector.Requirement(key: key, .doesNotExist)
        }
        let key = try key()
        switch peek() {
        case .comma, .end:
            return LabelSelector.Requirement(key: key, .exists)
        case .equals, .doubleEquals:
            _ = next()
            return LabelSelector.Requirement(key: key, .in, [try singleValue()])
        case .notEquals:
            _ = next()
            return LabelSelector.Requirement(key: key, .notIn, [try singleValue()])
        case .identifier("in"):
            _ = next()
            return LabelSelector.Requirement(key: key, .in, try valueSet(for: "in"))
        case .identifier("notin"):
            _ = next()
            return LabelSelector.Requirement(key: key, .notIn, try valueSet(for: "notin"))
        case .unsupported(let op):
            _ = next()
            throw failure("unsupported operator '\(op)'; use =, ==, !=, in, notin, or a bare key (exists) or !key")
        case let token:
            _ = next()
            throw failure("expected an operator (=, ==, !=, in, notin), ',' or the end after \"\(key)\", found \(describe(token))")
        }
    }

    private mutating func key() throws -> String {
        let token = next()
        guard case .identifier(let key) = token else { throw failure("expected a label key, found \(describe(token))") }
        if let problem = Names.labelKeyProblem(key) { throw failure("invalid label key \"\(key)\": \(problem)") }
        return key
    }

    /// The value after `=`, `==` or `!=`; may be empty (`tier=`), as label values may be.
    private mutating func singleValue() throws -> String {
        switch peek() {
        case .comma, .end:
            return ""
        case .identifier(let value):
            _ = next()
            if let problem = Names.labelValueProblem(value) { throw failure("invalid label value \"\(value)\": \(problem)") }
            return value
        case let token:
            _ = next()
            throw failure("expected a label value, found \(describe(token))")
        }
    }

    /// `( value, value, ... )`, at least one value.
    private mutating func valueSet(for op: String) throws -> [String] {
        let open = next()
        guard open == .open else { throw failure("expected '(' after \(op), found \(describe(open))") }
        var values: [String] = []
        while true {
            switch next() {
            case .identifier(let value):
                if let problem = Names.labelValueProblem(value) { throw failure("invalid label value \"\(value)\": \(problem)") }
                values.append(value)
            case .close where values.isEmpty:
                throw failure("\(op) needs at least one value in the parentheses")
            case let token:
                throw failure("expected a label value, found \(describe(token))")
            }
            switch next() {
            case .comma: continue
            case .close: return values
            case let token: throw failure("expected ',' or ')', found \(describe(token))")
            }
        }
    }

    // MARK: - Lexer

    private static let specials: Set<Character> = ["!", "=", "(", ")", ",", "<", ">"]

    private mutating func peek() -> Token {
        let saved = (index, tokenStart)
        let token = next()
        (index, tokenStart) = saved
        return token
    }

    private mutating func next() -> Token {
        while index < chars.count, chars[index].isWhitespace { index += 1 }
        tokenStart = index
        guard index < chars.count else { return .end }
        let c = chars[index]
        index += 1
        let following: Character? = index < chars.count ? chars[index] : nil
        switch c {
        case "!" where following == "=": index += 1; return .notEquals
        case "!": return .not
        case "=" where following == "=": index += 1; return .doubleEquals
        case "=": return .equals
        case "(": return .open
        case ")": return .close
        case ",": return .comma
        case "<", ">": return .unsupported(String(c))
        default:
            var word = String(c)
            while index < chars.count, !chars[index].isWhitespace, !Self.specials.contains(chars[index]) {
                word.append(chars[index])
                index += 1
            }
            return .identifier(word)
        }
    }

    private func describe(_ token: Token) -> String {
        switch token {
        case .identifier(let s): "\"\(s)\""
        case .not: "'!'"
        case .equals: "'='"
        case .doubleEquals: "'=='"
        case .notEquals: "'!='"
        case .open: "'('"
        case .close: "')'"
        case .comma: "','"
        case .unsupported(let s): "'\(s)'"
        case .end: "the end"
        }
    }

    private func failure(_ reason: String) -> LabelSelectorSyntaxError {
        LabelSelectorSyntaxError(selector: text, position: tokenStart, reason: reason)
    }
}
