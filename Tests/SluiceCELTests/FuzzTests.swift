import Foundation
import SluiceCEL
import SluiceTestSupport
import Testing

/// Generates random and adversarial CEL expressions from the grammar and compiles and evaluates
/// each one: whatever the input, the process must not die, and a compile error carries a position.
///
/// By default a seeded run of 10,000 expressions, part of `make test`. `make fuzz` sets
/// `SLUICE_FUZZ_SECONDS` (run for that long, from a random seed) and may set `SLUICE_FUZZ_SEED`
/// (replay a run); the seed is printed first, so a failure found by `make fuzz` can be replayed
/// with `make fuzz FUZZ_SEED=<seed>`.
@Suite("CEL fuzzing")
struct FuzzTests {
    @Test("random and adversarial expressions never crash the compiler or the evaluator")
    func fuzz() async throws {
        let plan = FuzzPlan(defaultSeed: 0x5EED_CE1, defaultCount: 10_000)
        print("CEL fuzz: seed \(plan.seed) (replay: make fuzz FUZZ_SEED=\(plan.seed))")
        var generator = ExpressionGenerator(rng: FuzzRandom(seed: plan.seed))
        let activation = ExpressionGenerator.activation
        var compiled = 0, evaluated = 0, total = 0
        while plan.shouldContinue(after: total) {
            // Long CPU-bound loops hand the cooperative pool back now and then: on two cores,
            // the servers other suites test run on the same two threads.
            if total % 50 == 0 { await Task.yield() }
            let source = generator.expression()
            total += 1
            let program: CELProgram
            do {
                program = try CEL.compile(source)
            } catch let error as CELError {
                let sizeRefusal = error.message.hasPrefix("expression code point size exceeds limit")
                #expect(sizeRefusal || (error.line != nil && error.column != nil),
                        "compile error without a position (seed \(plan.seed), case \(total)): \(error.message)")
                continue
            }
            compiled += 1
            do {
                _ = try program.evaluate(activation, costLimit: 200_000)
                evaluated += 1
            } catch is CELError {
                // An evaluation error is an answer.
            }
        }
        print("CEL fuzz: \(total) expressions, \(compiled) compiled, \(evaluated) evaluated without error")
        #expect(compiled > total / 10, "the generator should mostly produce valid expressions")
    }
}

/// Expressions from the CEL grammar (literals, operators, members, calls, macros, optionals,
/// `cel.bind`/`cel.block`, regular expressions), deep chains and nests past every limit, token
/// soup and mutations of valid expressions.
struct ExpressionGenerator {
    var rng: FuzzRandom

    static let activation: [String: CELValue] = {
        let items: [CELValue] = (0..<5).map { .int(Int64($0)) }
        let labels = CELMap(distinctStringKeys: [("app", .string("orders")), ("team", .string("data"))])
        let metadata = CELMap(distinctStringKeys: [("name", .string("orders-job")), ("labels", .map(labels))])
        let spec = CELMap(distinctStringKeys: [
            ("replicas", .int(3)), ("image", .string("registry.example.com/flink:2.3")), ("items", .list(items)),
            ("ratio", .double(0.5)), ("enabled", .bool(true)), ("nothing", .null),
        ])
        let object = CELMap(distinctStringKeys: [("metadata", .map(metadata)), ("spec", .map(spec))])
        return ["object": .map(object), "s": .string("aaaaaaaaaaaaaaaaaaaa!"), "n": .int(7), "b": .bytes([0, 1, 255])]
    }()

    static let literals = [
        "0", "1", "-1", "9223372036854775807", "-9223372036854775808", "18446744073709551615u", "0x7F", "1.5", "-0.0",
        "1e308", "1e-308", "true", "false", "null", "''", "'a'", "\"é日本\"", "r'\\d+'", "b'\\xff'", "'''x\ny'''",
        "'\\u00e9'", "duration('1s')", "timestamp('2024-01-01T00:00:00Z')", "[]", "{}", "[1, 2, 3]", "{'a': 1}",
        "optional.none()", "optional.of(1)",
    ]
    static let names = ["object", "object.spec", "object.metadata", "object.spec.items", "object.spec.replicas",
                        "object.metadata.labels", "s", "n", "b", "x", "y", "undeclared"]
    static let binary = ["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "in"]
    static let methods = ["size()", "startsWith('a')", "endsWith('!')", "contains('a')", "lowerAscii()", "upperAscii()",
                          "split('a')", "trim()", "reverse()", "charAt(1)", "indexOf('a')", "substring(1)",
                          "replace('a', 'b')", "matches('a+')", "find('a+')", "findAll('a')", "findAll('a', 2)",
                          "orValue(1)", "hasValue()", "isSorted()", "sum()", "min()", "max()", "join(',')",
                          "getFullYear()", "distinct()", "flatten()", "slice(0, 1)", "indexOf(1)", "value()"]
    static let macros = ["all", "exists", "exists_one", "map", "filter", "transformList", "transformMap"]
    static let functions = ["size", "int", "uint", "double", "string", "bytes", "bool", "type", "dyn", "duration",
                            "timestamp", "math.greatest", "math.least", "math.abs", "strings.quote", "base64.encode",
                            "quantity", "isQuantity", "url", "isURL", "ip", "isIP", "cidr", "lists.range"]
    /// Patterns from the RE2 syntax page, valid and invalid, including those that make a
    /// backtracking engine explode.
    static let patterns = ["a+", "^a*$", "(a*)*b", "(x+x+)+y", "(a|aa)*c", "(?i)A", "\\\\pL+", "[[:digit:]]", "(a)\\\\1",
                           "(?=a)", "[", "a{1000}", "a{1001}", "(?P<n>a)", "\\\\b", "", ".*.*.*=.*", "\\\\Qa.b\\\\E", "x**"]
    static let tokens = ["(", ")", "[", "]", "{", "}", ".", ",", ":", "?", "!", "-", "+", "*", "/", "%", "==", "&&",
                         "||", "in", "'", "\"", "`", "\\", "r", "b", "1", "x", "cel", "has", ".?", "[?", "0x", "1e",
                         "u", "'''", "\n", " ", "//", "é", "\u{0}", "@", "#", "$"]

    mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func pick(_ list: [String]) -> String { list.randomElement(using: &rng)! }
    mutating func chance(_ n: Int) -> Bool { int(0..<n) == 0 }

    mutating func expression() -> String {
        switch int(0..<100) {
        case 0..<60: return valid(depth: int(1..<7))
        case 60..<72: return mutated(valid(depth: int(1..<5)))
        case 72..<82: return soup()
        case 82..<97: return deep(length: int(50..<600))
        case 97..<99: return deep(length: int(600..<6_000))
        default: return huge()
        }
    }

    /// A well-formed expression (though often ill-typed, which the evaluator must report).
    mutating func valid(depth: Int) -> String {
        if depth <= 0 || chance(4) { return chance(2) ? pick(Self.literals) : pick(Self.names) }
        let d = depth - 1
        switch int(0..<13) {
        case 0: return "\(valid(depth: d)) \(pick(Self.binary)) \(valid(depth: d))"
        case 1: return "(\(valid(depth: d)))"
        case 2: return "\(pick(["!", "-", "!!", "--"]))\(member(depth: d))"
        case 3: return "\(valid(depth: d)) ? \(valid(depth: d)) : \(valid(depth: d))"
        case 4: return "\(member(depth: d)).\(pick(Self.methods))"
        case 5: return "\(member(depth: d))[\(valid(depth: d))]"
        case 6: return "[\((0..<int(0..<4)).map { _ in valid(depth: d) }.joined(separator: ", "))]"
        case 7: return "{\((0..<int(0..<3)).map { _ in "\(valid(depth: d)): \(valid(depth: d))" }.joined(separator: ", "))}"
        case 8:
            let m = pick(Self.macros)
            let two = m.hasPrefix("transform") || chance(4)
            return "\(member(depth: d)).\(m)(\(two ? "i, v" : "v"), \(valid(depth: d)))"
        case 9: return "\(pick(Self.functions))(\(valid(depth: d)))"
        case 10: return "\(member(depth: d)).\(pick(["matches", "find", "findAll"]))('\(pick(Self.patterns))')"
        case 11: return "has(\(pick(["object.spec.replicas", "object.metadata.missing", "x.y"])))"
        default:
            switch int(0..<4) {
            case 0: return "cel.bind(x, \(valid(depth: d)), \(valid(depth: d)))"
            case 1: return "cel.block([\(valid(depth: d)), cel.index(0)], cel.index(\(int(0..<3))))"
            case 2: return "\(member(depth: d)).?\(pick(["spec", "x", "name"]))"
            default: return "\(member(depth: d))[?\(valid(depth: d))]"
            }
        }
    }

    mutating func member(depth: Int) -> String {
        let e = valid(depth: depth)
        return e.first.map { "([{'\"".contains($0) || $0.isLetter || $0.isNumber } ?? false ? e : "(\(e))"
    }

    /// A valid expression with a few characters deleted, inserted or repeated.
    mutating func mutated(_ source: String) -> String {
        var chars = Array(source)
        for _ in 0..<int(1..<4) {
            let i = chars.isEmpty ? 0 : int(0..<chars.count)
            switch int(0..<3) {
            case 0 where !chars.isEmpty: chars.remove(at: i)
            case 1: chars.insert(contentsOf: Array(pick(Self.tokens)), at: i)
            default:
                guard !chars.isEmpty else { continue }
                let end = min(chars.count, i + int(1..<8))
                chars.insert(contentsOf: Array(String(repeating: String(chars[i..<end]), count: int(2..<50))), at: i)
            }
        }
        return String(chars)
    }

    mutating func soup() -> String {
        (0..<int(1..<60)).map { _ in pick(Self.tokens) }.joined(separator: chance(2) ? " " : "")
    }

    /// A chain or nest of one construct, often past the depth limit.
    mutating func deep(length n: Int) -> String {
        switch int(0..<14) {
        case 0: return Array(repeating: "1", count: n).joined(separator: pick(Self.binary))
        case 1: return "object" + String(repeating: "['x']", count: n)
        case 2: return "object" + String(repeating: ".spec", count: n)
        case 3: return String(repeating: "(", count: n) + "1" + String(repeating: ")", count: n)
        case 4: return String(repeating: "[", count: n) + String(repeating: "]", count: n)
        case 5: return String(repeating: "{1: ", count: n) + "1" + String(repeating: "}", count: n)
        case 6: return String(repeating: pick(["!", "-"]), count: n) + pick(Self.literals)
        case 7: return String(repeating: "true ? 1 : ", count: n) + "2"
        case 8: return String(repeating: "[1].all(x, ", count: n) + "true" + String(repeating: ")", count: n)
        case 9: return String(repeating: "size(", count: n) + "'a'" + String(repeating: ")", count: n)
        case 10: return "'a'" + String(repeating: ".lowerAscii()", count: n)
        case 11: return String(repeating: "(", count: n)  // unbalanced
        case 12:
            let slots = ["0"] + (1..<max(2, n)).map { "cel.index(\($0 - 1))" }
            return "cel.block([\(slots.joined(separator: ","))], cel.index(\(slots.count - 1)))"
        default: return String(repeating: "1 + (", count: n) + "1" + String(repeating: ")", count: n)
        }
    }

    /// Past the size limit, or a single very long token.
    mutating func huge() -> String {
        switch int(0..<3) {
        case 0: return "'" + String(repeating: "a", count: int(90_000..<110_000)) + "'"
        case 1: return String(repeating: "x", count: int(90_000..<110_000))
        default: return "s.matches('" + String(repeating: "(a*)", count: int(1_000..<20_000)) + "b')"
        }
    }
}
