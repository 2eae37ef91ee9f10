import Foundation
import SluiceCEL
import Testing

@Suite("CEL evaluation")
struct EvaluationTests {
    func eval(_ expression: String, _ activation: [String: CELValue] = [:]) throws -> CELValue {
        try CEL.compile(expression).evaluate(activation)
    }

    @Test("errors are values: && and || are commutative over errors")
    func commutativeLogic() throws {
        #expect(try eval("1/0 == 1 && false").celEquals(.bool(false)))
        #expect(try eval("false && 1/0 == 1").celEquals(.bool(false)))
        #expect(try eval("1/0 == 1 || true").celEquals(.bool(true)))
        #expect(throws: CELError.self) { try eval("1/0 == 1 && true") }
    }

    @Test("a runaway expression is stopped by the cost limit, not a hang")
    func costLimit() throws {
        let bomb = "[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,10].map(c, [1,2,3,4,5,6,7,8,9,10].map(d, a+b+c+d))))"
        let program = try CEL.compile(bomb)
        let error = #expect(throws: CELError.self) { try program.evaluate([:], costLimit: 10_000) }
        #expect(error?.message.contains("cost limit") == true)
        #expect(try program.evaluate([:], costLimit: 10_000_000).celEquals(.null) == false)
    }

    @Test("syntax errors carry line and column")
    func positions() {
        let error = #expect(throws: CELError.self) { try CEL.compile("a &&\n  (b ||") }
        #expect(error?.line == 2)
        let unknown = #expect(throws: CELError.self) { try CEL.compile("a ^ b") }
        #expect(unknown?.line == 1 && unknown?.column == 3)
    }

    @Test("one program evaluates from many tasks at once")
    func concurrent() async throws {
        let program = try CEL.compile("object.items.filter(i, i % 2 == 0).size() == n")
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for n in 0..<64 {
                group.addTask {
                    let items = (0..<(2 * n)).map { CELValue.int(Int64($0)) }
                    let object = try CELMap([(.string("items"), .list(items))])
                    return try program.evaluate(["object": .map(object), "n": .int(Int64(n))]).celEquals(.bool(true))
                }
            }
            for try await ok in group { #expect(ok) }
        }
    }

    @Test("the Kubernetes string and list libraries")
    func kubernetesLibraries() throws {
        #expect(try eval("'abc-123-def'.find('[0-9]+')").celEquals(.string("123")))
        #expect(try eval("'a1b22c333'.findAll('[0-9]+')").celEquals(.list([.string("1"), .string("22"), .string("333")])))
        #expect(try eval("[1, 2, 3].isSorted() && ![3, 1].isSorted()").celEquals(.bool(true)))
        #expect(try eval("[1, 2, 3].sum() == 6 && [4, 2, 9].min() == 2 && [4, 2, 9].max() == 9").celEquals(.bool(true)))
        #expect(try eval("'a,b,c'.split(',').join('-')").celEquals(.string("a-b-c")))
        #expect(try eval("'Hello'.lowerAscii() + 'x'.upperAscii()").celEquals(.string("helloX")))
        #expect(try eval("object.metadata.namespace", ["object": .map(try CELMap([(.string("metadata"), .map(try CELMap([(.string("namespace"), .string("ns"))])))]))]).celEquals(.string("ns")))
        #expect(try eval("m.__namespace__", ["m": .map(try CELMap([(.string("namespace"), .string("x"))]))]).celEquals(.string("x")))
        #expect(try eval("m.a__dash__b", ["m": .map(try CELMap([(.string("a-b"), .int(1))]))]).celEquals(.int(1)))
    }

    /// cel-go compares bytes (common/types/string.go: `strings.Contains`, `strings.HasPrefix`,
    /// `strings.HasSuffix`; ext/strings.go: `strings.Split`, `strings.SplitN`), so a combining
    /// mark is matched on its own and 'e' followed by U+0301 starts with 'e'. Swift's `String`
    /// compares characters and says it does not.
    @Test("contains, startsWith, endsWith and split compare code points, not characters")
    func stringSearchByCodePoint() throws {
        let s = CELValue.string("cafe\u{301}:v1")
        #expect(try eval("s.contains('e')", ["s": s]).celEquals(.bool(true)))
        #expect(try eval("s.contains('\\u0301')", ["s": s]).celEquals(.bool(true)))
        #expect(try eval("s.contains('é')", ["s": s]).celEquals(.bool(false)))  // precomposed U+00E9 is another code point
        #expect(try eval("s.startsWith('cafe')", ["s": s]).celEquals(.bool(true)))
        #expect(try eval("'cafe\\u0301'.endsWith('\\u0301')").celEquals(.bool(true)))
        #expect(try eval("'cafe\\u0301'.endsWith('e')").celEquals(.bool(false)))
        #expect(try eval("s.split('e')", ["s": s]).celEquals(.list([.string("caf"), .string("\u{301}:v1")])))
        #expect(try eval("s.split(':', 1)", ["s": s]).celEquals(.list([s])))
        #expect(try eval("'a::b:'.split(':')").celEquals(.list([.string("a"), .string(""), .string("b"), .string("")])))
        #expect(try eval("'a::b:'.split(':', 2)").celEquals(.list([.string("a"), .string(":b:")])))
        #expect(try eval("''.split(':')").celEquals(.list([.string("")])))
        #expect(try eval("'ab'.contains('') && 'ab'.startsWith('') && 'ab'.endsWith('') && !''.contains('a')").celEquals(.bool(true)))
        #expect(try eval("'aab'.contains('ab') && !'ab'.contains('abc') && !'ab'.endsWith('xab')").celEquals(.bool(true)))
        // lowerAscii and upperAscii change ASCII letters only (cel-go ext/strings.go).
        #expect(try eval("'ÀBc-Straße'.lowerAscii()").celEquals(.string("Àbc-straße")))
        #expect(try eval("'àBc-straße'.upperAscii()").celEquals(.string("àBC-STRAßE")))
        #expect(try eval("'already lower 1'.lowerAscii() + 'UPPER 2'.upperAscii()").celEquals(.string("already lower 1UPPER 2")))
    }

    @Test("backtick-quoted field names are taken literally")
    func quotedFields() throws {
        let m = CELValue.map(try CELMap([(.string("content-type"), .string("json")), (.string("a__dash__b"), .int(1))]))
        #expect(try eval("m.`content-type`", ["m": m]).celEquals(.string("json")))
        #expect(try eval("has(m.`a__dash__b`)", ["m": m]).celEquals(.bool(true)))
        #expect(throws: CELError.self) { try CEL.compile("m.`a+b`") }
    }

    @Test("dotted variable names resolve by the longest prefix, and within a container")
    func qualifiedNames() throws {
        let inner = CELValue.map(try CELMap([(.string("c"), .string("from a.b"))]))
        #expect(try eval("a.b.c", ["a.b.c": .string("whole"), "a.b": inner]).celEquals(.string("whole")))
        #expect(try eval("a.b.c", ["a.b": inner]).celEquals(.string("from a.b")))
        #expect(throws: CELError.self) { try eval("a.b.c", [:]) }
        let vars: [String: CELValue] = ["x.y": .int(1), "y": .int(2)]
        #expect(try CEL.compile("y", container: "x").evaluate(vars).celEquals(.int(1)))
        #expect(try CEL.compile(".y", container: "x").evaluate(vars).celEquals(.int(2)))
        // A local variable shadows names from the container.
        #expect(try CEL.compile("[5].all(y, y == 5)", container: "x").evaluate(vars).celEquals(.bool(true)))
    }

    @Test("a double compares with an int as the int converted to double")
    func doubleIntComparison() throws {
        #expect(try eval("dyn(9223372036854775807) < 9223372036854775808.0").celEquals(.bool(false)))
        #expect(try eval("dyn(9223372036854775807) < 9223372036854777857.0").celEquals(.bool(true)))
        #expect(try eval("1.5 > 1 && 2u > 1.5 && -1.0 < 0u").celEquals(.bool(true)))
    }

    @Test("the empty regular expression matches everything")
    func emptyRegex() throws {
        #expect(try eval("'abc'.matches('') && ''.matches('')").celEquals(.bool(true)))
    }
}
