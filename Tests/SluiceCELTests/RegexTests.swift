import Dispatch
import Foundation
import SluiceCEL
import SluiceRegex
import Testing

/// CEL's `matches` (cel-spec), and `find`/`findAll` (the Kubernetes regex library,
/// k8s.io/apiserver/pkg/cel/library/regex.go), run by RE2 with RE2's syntax
/// (https://github.com/google/re2/wiki/Syntax) as cel-go has it.
@Suite("CEL regular expressions")
struct RegexTests {
    func eval(_ expression: String, _ activation: [String: CELValue] = [:], costLimit: Int = 1_000_000) throws -> CELValue {
        try CEL.compile(expression).evaluate(activation, costLimit: costLimit)
    }

    /// Runs `work` on its own thread and waits at most `seconds`: a hang detector (a backtracking
    /// engine needs minutes for these inputs, RE2 microseconds), not a performance goal.
    func finishes<T: Sendable>(within seconds: Int, _ work: @escaping @Sendable () throws -> T) throws -> T? {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        Thread {
            box.set(Result { try work() })
            done.signal()
        }.start()
        guard done.wait(timeout: .now() + .seconds(seconds)) == .success else { return nil }
        return try box.get()?.get()
    }

    final class ResultBox<T: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var result: Result<T, any Error>?
        func set(_ r: Result<T, any Error>) { lock.withLock { result = r } }
        func get() -> Result<T, any Error>? { lock.withLock { result } }
    }

    /// The issue's reproductions: `'a'*5000 .matches('(a*)*b')` ran for more than 60 s and
    /// `(x+x+)+y` on 30 characters for 8 s with a backtracking engine.
    @Test("catastrophic patterns finish: RE2 matches in linear time")
    func catastrophicPatterns() throws {
        let cases: [(String, String)] = [
            (String(repeating: "a", count: 5_000), "(a*)*b"),
            (String(repeating: "x", count: 30), "(x+x+)+y"),
            (String(repeating: "a", count: 100_000), "(a|aa)*c"),
            (String(repeating: "a", count: 10_000) + "!", "^(a+)+$"),
        ]
        for (text, pattern) in cases {
            let answer = try finishes(within: 30) {
                try CEL.compile("s.matches(p)").evaluate(["s": .string(text), "p": .string(pattern)], costLimit: 10_000_000)
            }
            #expect(answer?.celEquals(.bool(false)) == true, "\(pattern) on \(text.count) characters did not finish")
        }
    }

    /// RE2 refuses what needs backtracking; cel-go (Go's regexp) refuses the same, and Kubernetes
    /// validates regex literals when it compiles (`cel.ValidateRegexLiterals`).
    @Test("backreferences and lookaround are compile errors at the pattern", arguments: [
        #"(a)\1"#, "(?=a)", "(?!a)", "(?<=a)b", "(?<!a)b", "a++", "(?>a)", "[a", "a{1001}",
    ])
    func unsupportedSyntax(_ pattern: String) throws {
        let source = "object.name.matches('\(pattern.replacingOccurrences(of: "\\", with: "\\\\"))')"
        let error = try #require(throws: CELError.self) { try CEL.compile(source) }
        #expect(error.message.hasPrefix("invalid matches argument: error parsing regexp:"), "\(error.message)")
        // The pattern starts after `object.name.matches(`: column 21.
        #expect(error.line == 1 && error.column == 21, "\(error)")
        // The same pattern coming from data is an evaluation error, not a crash or a silent match.
        let runtime = try #require(throws: CELError.self) {
            try eval("s.matches(p)", ["s": .string("aa"), "p": .string(pattern)])
        }
        #expect(runtime.message.hasPrefix("error parsing regexp:"))
    }

    @Test("find and findAll on a match position (Kubernetes' own examples)")
    func kubernetesExamples() throws {
        #expect(try eval("'abc 123'.find('[0-9]+')").celEquals(.string("123")))
        #expect(try eval("'abc 123'.find('xyz')").celEquals(.string("")))
        #expect(try eval("'123 abc 456'.findAll('[0-9]+')").celEquals(.list([.string("123"), .string("456")])))
        #expect(try eval("'123 abc 456'.findAll('[0-9]+', 1)").celEquals(.list([.string("123")])))
        #expect(try eval("'123 abc 456'.findAll('xyz')").celEquals(.list([])))
        #expect(try eval("'123 abc 456'.findAll('[0-9]+', 0)").celEquals(.list([])))
        #expect(try eval("'123 abc 456'.findAll('[0-9]+', -1)").celEquals(.list([.string("123"), .string("456")])))
    }

    /// Go's `Regexp.FindAllString` documentation examples, and its rule for empty matches.
    @Test("findAll follows Go's FindAllString")
    func goFindAll() throws {
        func all(_ s: String, _ p: String) throws -> [String] { try RE2(p).allMatches(in: s).map(String.init) }
        #expect(try all("paranormal", "a.") == ["ar", "an", "al"])
        #expect(try RE2("a.").allMatches(in: "paranormal", limit: 2).map(String.init) == ["ar", "an"])
        #expect(try all("graal", "a.") == ["aa"])
        #expect(try all("none", "a.") == [])
        #expect(try all("abc", "") == ["", "", "", ""])
        #expect(try all("a1", "[0-9]*") == ["", "1"])
        #expect(try all("héllo wörld", "ö|é") == ["é", "ö"])
        #expect(try all("日本語", "") == ["", "", "", ""])
    }

    @Test("RE2 syntax: flags, classes, Unicode, anchors")
    func syntax() throws {
        #expect(try eval("'Hello'.matches('(?i)^hello$')").celEquals(.bool(true)))
        #expect(try eval("'héllo'.matches('^\\\\pL+$')").celEquals(.bool(true)))
        #expect(try eval("'abc'.matches('[[:alpha:]]+')").celEquals(.bool(true)))
        #expect(try eval("'k=v'.find('(?P<key>\\\\w+)=')").celEquals(.string("k=")))
        #expect(try eval("'a\\nb'.matches('^b')").celEquals(.bool(false)))
        #expect(try eval("'a\\nb'.matches('(?m)^b')").celEquals(.bool(true)))
        #expect(try eval("'anything'.matches('')").celEquals(.bool(true)))
        #expect(try eval("matches('abc', 'b')").celEquals(.bool(true)))
        #expect(try eval("'wörld'.find('w.r')").celEquals(.string("wör")))
    }

    /// cel-go's runtime cost of `matches` (interpreter/runtimecost.go) and the Kubernetes regex
    /// library's of `find`/`findAll`: ceil((1 + size(s)) * 0.1) * ceil(size(pattern) * 0.25).
    @Test("a match costs the string's size times the pattern's, checked before it runs")
    func cost() throws {
        let text = CELValue.string(String(repeating: "a", count: 100_000))
        // 10,001 * 4 = 40,004 for a 16-character pattern, plus 1,562 for carrying the string
        // (size / 64, as every call) and a few nodes.
        let pattern = "'(a|b|c|d|e|f)+$'"
        for call in ["s.matches(\(pattern))", "s.find(\(pattern))", "s.findAll(\(pattern))", "matches(s, \(pattern))"] {
            let stopped = try #require(throws: CELError.self) { try eval(call, ["s": text], costLimit: 40_000) }
            #expect(stopped.message.contains("cost limit"), "\(call): \(stopped.message)")
            #expect(throws: Never.self) { try eval(call, ["s": text], costLimit: 42_000) }
        }
    }

    @Test("compiled patterns are shared and the cache stays bounded")
    func cacheBounded() throws {
        for i in 0..<(RE2Cache.capacity * 3) {
            #expect(try RE2Cache.compile("x\(i)y").matches("ax\(i)yb"))
        }
        #expect(RE2Cache.count <= RE2Cache.capacity)
        #expect(throws: RE2.SyntaxError.self) { try RE2Cache.compile(#"(a)\1"#) }
    }
}
