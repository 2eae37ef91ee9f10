import Foundation
import SluiceCEL
import Testing

/// Hostile expressions end in a clear error, never a crash. The issue's reproductions (20,000
/// terms or links) are used where they fit in the size limit; nests use 5,000 levels (20 times the
/// depth limit) so that the depth limit, not the size limit, refuses them. The limits are cel-go's parser
/// defaults (github.com/google/cel-go, parser/options.go and parser.go: `MaxRecursionDepth`,
/// `ExpressionSizeCodePointLimit` 100,000; the `recursionListener` counts left-recursive rules such
/// as `calc` and `member` link by link) and Kubernetes' per-call cost limit
/// (k8s.io/apiserver/pkg/apis/cel/config.go: `PerCallLimit` 1,000,000).
@Suite("CEL limits")
struct LimitsTests {
    static let terms = 20_000

    func compileError(_ expression: String) throws -> CELError {
        try #require(throws: CELError.self) { try CEL.compile(expression) }
    }

    /// The issue's reproduction: `1+1+…+1` with 20,000 terms killed `sluice check` with SIGSEGV.
    @Test("a 20,000-term + chain is refused at the operator past the depth limit")
    func deepAdditionChain() throws {
        let source = Array(repeating: "1", count: Self.terms).joined(separator: "+")
        let error = try compileError(source)
        #expect(error.message.contains("recursion limit exceeded"), "\(error.message)")
        // The 250th '+' makes the 251st level: at column 2 * 250.
        #expect(error.line == 1 && error.column == 500, "\(error)")
        // Within the limit the chain evaluates.
        let fine = Array(repeating: "1", count: 200).joined(separator: "+")
        #expect(try CEL.compile(fine).evaluate([:]).celEquals(.int(200)))
    }

    @Test("every left-associative operator chain is counted", arguments: ["*", "-", "/", "%", "==", "<", "in"])
    func operatorChains(_ op: String) throws {
        let source = Array(repeating: "1", count: Self.terms).joined(separator: " \(op) ")
        #expect(try compileError(source).message.contains("recursion limit exceeded"))
    }

    /// The issue's second reproduction: `object["x"]["x"]…` 20,000 deep.
    @Test("a 20,000-deep index chain, select chain and call chain are refused")
    func deepMemberChains() throws {
        // The issue's `object["x"]…` 20,000 deep is 100,006 code points: refused by its size.
        #expect(try compileError("object" + String(repeating: "[\"x\"]", count: Self.terms)).message.contains("size exceeds limit"))
        for source in [
            "object" + String(repeating: "[\"x\"]", count: 16_000),
            "object" + String(repeating: ".x", count: Self.terms),
            "object" + String(repeating: ".?x", count: Self.terms),
            "'a'" + String(repeating: ".size()", count: 10_000),
        ] {
            let error = try compileError(source)
            #expect(error.message.contains("recursion limit exceeded"), "\(error.message)")
            #expect(error.line == 1 && error.column != nil)
        }
        var nested: CELValue = .int(7)
        for _ in 0..<100 { nested = .map(CELMap(distinctStringKeys: [("x", nested)])) }
        let within = "object" + String(repeating: "[\"x\"]", count: 100)
        #expect(try CEL.compile(within).evaluate(["object": nested]).celEquals(.int(7)))
    }

    @Test("deep parentheses, lists, maps, calls, ternaries and macros are refused")
    func deepNesting() throws {
        let n = 5_000
        for source in [
            String(repeating: "(", count: n) + "1" + String(repeating: ")", count: n),
            String(repeating: "[", count: n) + String(repeating: "]", count: n),
            String(repeating: "{1: ", count: n) + "1" + String(repeating: "}", count: n),
            String(repeating: "size(", count: n) + "'a'" + String(repeating: ")", count: n),
            String(repeating: "true ? 1 : ", count: n) + "2",
            String(repeating: "[1].all(x, ", count: n) + "true" + String(repeating: ")", count: n),
            String(repeating: "cel.bind(v, 1, ", count: n) + "v" + String(repeating: ")", count: n),
        ] {
            let error = try compileError(source)
            #expect(error.message.contains("recursion limit exceeded"), "\(source.prefix(20)): \(error.message)")
            #expect(error.line == 1 && error.column != nil)
        }
    }

    @Test("expressions just inside the depth limit evaluate, in a debug build too")
    func atTheLimit() throws {
        let lists = String(repeating: "[", count: 249) + "1" + String(repeating: "]", count: 249)
        var expected: CELValue = .int(1)
        for _ in 0..<248 { expected = .list([expected]) }
        #expect(try CEL.compile(lists).evaluate([:]).celEquals(.list([expected])))
        let sums = String(repeating: "1 + (", count: 124) + "1" + String(repeating: ")", count: 124)
        #expect(try CEL.compile(sums).evaluate([:]).celEquals(.int(125)))
        let macros = String(repeating: "[1].all(x, ", count: 124) + "x == 1" + String(repeating: ")", count: 124)
        #expect(try CEL.compile(macros).evaluate([:]).celEquals(.bool(true)))
        let tooDeep = String(repeating: "[", count: 251) + String(repeating: "]", count: 251)
        #expect(try compileError(tooDeep).message.contains("recursion limit exceeded"))
    }

    /// cel-go folds repeated unary operators (`VisitLogicalNot`, `VisitNegate`): an even count is
    /// the operand itself, an odd count one operator; so a long run costs no depth.
    @Test("long runs of ! and - fold instead of nesting")
    func unaryRuns() throws {
        let n = Self.terms
        #expect(try CEL.compile(String(repeating: "!", count: n + 1) + "true").evaluate([:]).celEquals(.bool(false)))
        #expect(try CEL.compile(String(repeating: "!", count: n) + "true").evaluate([:]).celEquals(.bool(true)))
        #expect(try CEL.compile(String(repeating: "-", count: n) + "x").evaluate(["x": .int(3)]).celEquals(.int(3)))
        #expect(try CEL.compile(String(repeating: "-", count: n + 1) + "x").evaluate(["x": .int(3)]).celEquals(.int(-3)))
        #expect(try CEL.compile("-9223372036854775808").evaluate([:]).celEquals(.int(Int64.min)))
        #expect(throws: CELError.self) { try CEL.compile("--9223372036854775808") }
    }

    /// cel-go balances `&&` and `||` chains (parser/helper.go `balancer`): a policy joining many
    /// conditions is log-deep and allowed.
    @Test("long && and || chains are balanced, allowed and evaluated as written")
    func logicalChains() throws {
        let conjunction = Array(repeating: "x", count: 15_000).joined(separator: " && ")
        #expect(try CEL.compile(conjunction).evaluate(["x": .bool(true)]).celEquals(.bool(true)))
        #expect(try CEL.compile(conjunction).evaluate(["x": .bool(false)]).celEquals(.bool(false)))
        let disjunction = Array(repeating: "x", count: 15_000).joined(separator: " || ") + " || y"
        #expect(try CEL.compile(disjunction).evaluate(["x": .bool(false), "y": .bool(true)]).celEquals(.bool(true)))
        // An error anywhere loses to a false anywhere, whatever the shape of the tree.
        let mixed = (Array(repeating: "x", count: 999) + ["1/0 == 1", "false"]).joined(separator: " && ")
        #expect(try CEL.compile(mixed).evaluate(["x": .bool(true)]).celEquals(.bool(false)))
    }

    @Test("an expression longer than 100,000 code points is refused before it is parsed")
    func expressionSize() throws {
        let long = "'" + String(repeating: "é", count: 100_000) + "'"
        let error = try compileError(long)
        #expect(error.message == "expression code point size exceeds limit: size: 100002, limit 100000")
        let fits = "'" + String(repeating: "é", count: 99_998) + "'"
        #expect(try CEL.compile(fits).evaluate([:]).celEquals(.string(String(repeating: "é", count: 99_998))))
    }

    @Test("cel.block slots that read each other are bounded at evaluation")
    func blockSlots() throws {
        let selfReference = try CEL.compile("cel.block([cel.index(0)], cel.index(0))")
        let cycle = try #require(throws: CELError.self) { try selfReference.evaluate([:]) }
        #expect(cycle.message.contains("reads itself"))
        // 5,000 slots, each reading the one before: a chain the tree's depth does not show.
        let slots = ["0"] + (1..<5_000).map { "cel.index(\($0 - 1))" }
        let chain = try CEL.compile("cel.block([\(slots.joined(separator: ", "))], cel.index(4999))")
        let deep = try #require(throws: CELError.self) { try chain.evaluate([:]) }
        #expect(deep.message.contains("nested too deeply"), "\(deep.message)")
        let short = try CEL.compile("cel.block([1, cel.index(0) + 1, cel.index(1) * 10], cel.index(2))")
        #expect(try short.evaluate([:]).celEquals(.int(20)))
    }
}
