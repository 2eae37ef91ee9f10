import Foundation
@testable import SluiceCEL
import Testing

/// Programs are evaluated through compiled steps; the tree walker (`Evaluator.eval`) is the
/// reference they must agree with, in result, in error and in the cost they charge.
@Suite("CEL compiled steps")
struct CompiledStepsTests {
    static let object: CELValue = {
        func map(_ pairs: [(String, CELValue)]) -> CELValue { .map(try! CELMap(pairs.map { (.string($0.0), $0.1) })) }
        return map([("spec", map([
            ("image", .string("ghcr.io/example/jobs:1.2.3")),
            ("flinkConfiguration", map([("taskmanager.numberOfTaskSlots", .string("2")), ("s3.secret-key", .string("${S3_SECRET}")),
                                        ("a", .string("1")), ("b", .string("2")), ("c", .string("3")), ("d", .string("4")),
                                        ("e", .string("5")), ("f", .string("6")), ("g", .string("7")), ("h", .string("8"))])),
            ("taskManager", map([("replicas", .int(2)), ("resource", map([("memory", .string("4096m"))]))])),
            ("job", map([("parallelism", .int(4)), ("upgradeMode", .string("savepoint")), ("ratio", .double(0.5))])),
            ("tags", .list([.string("x"), .string("y"), .int(3)])),
        ])), ("metadata", map([("name", .string("job-1")), ("labels", map([("team", .string("a"))]))]))])
    }()

    static let activation: [String: CELValue] = ["object": object, "n": .int(3), "s": .string(String(repeating: "ab", count: 100)),
                                                 "a.b": .map(try! CELMap([(.string("c"), .int(7))]))]

    static let expressions = [
        "object.spec.job.parallelism <= object.spec.taskManager.replicas * 2 && object.spec.image.startsWith('ghcr.io/')",
        "object.spec.job.parallelism <= object.spec.taskManager.replicas * 2 && object.spec.image.startsWith('ghcr.io/') && object.spec.job.upgradeMode != 'stateless'",
        "['jobManager', 'taskManager'].all(role, role in object.spec && 'resource' in object.spec[role] && 'memory' in object.spec[role].resource)",
        "object.spec.flinkConfiguration.all(key, !key.matches('(?i)(password|secret|token)') || string(object.spec.flinkConfiguration[key]).startsWith('${'))",
        "has(object.spec.job) && object.spec.job.upgradeMode in ['savepoint', 'last-state']",
        "has(object.spec.nothing) || has(object.metadata.labels.team)",
        "object.spec.missing == 1 && false", "false && object.spec.missing == 1", "object.spec.missing == 1 || true",
        "object.spec.missing == 1 && true", "1/0 == 1 || object.spec.missing", "object.spec.missing || 1/0 == 1",
        "object.spec.job.ratio < 1 ? 'low' : 'high'", "object.spec.job ? 1 : 2",
        "object.spec.tags[1] + object.spec.tags[0]", "object.spec.tags[5]", "object.spec.tags.size() + s.size()",
        "s.startsWith('ab') && s.endsWith('ab') && !s.endsWith('x')", "s.startsWith(1)", "n.startsWith('a')",
        "s + s == s + s", "s < 'b'", "[1, 2u, 3.0].exists(x, x == 2)", "{'a': 1, 'b': n}.map(k, k + 'x')",
        "[1, 2, 3].filter(x, x % 2 == 1).size() == 2", "[1, 2, 3].exists_one(x, x > 2)", "[1, 'a', 3].all(x, x > 0)",
        "[0, 1].all(x, 1 / x > 0)", "[0, 1].exists(x, 1 / x > 0)", "[1, 2].map(x, x > 1, x * 10)",
        "[1, 2].transformList(i, v, i + v)", "{'a': 1}.transformMap(k, v, v + 1)", "{'a': 1}.transformMapEntry(k, v, {k + 'x': v})",
        "cel.bind(x, n * 2, x + x)", "object.spec.?job.orValue({}).parallelism", "[?object.spec.?nothing, 1]",
        "math.greatest(1, n)", "strings.quote('a')", "ip('10.0.0.1').family()", "a.b.c + 1", ".n + 1", "nothing", "int",
        "type(object) == map", "-n", "!true", "-(n * 2)", "object.metadata.labels['team'] in ['a', 'b']",
        "'team' in object.metadata.labels", "object.spec.flinkConfiguration.h == '8'", "object.spec.flinkConfiguration.zz",
        "duration('1s') + duration('2s') == duration('3s')", "timestamp('2024-01-01T00:00:00Z').getFullYear()",
        "[1, 2, 3][n - 1]", "{1: 'a', 2u: 'b'}[1]", "9223372036854775807 + 1", "1 + 2.0", "'a' * 2",
        "object.spec.flinkConfiguration.exists(k, k.contains('secret'))", "size(object.spec.tags) == 3",
        "[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, a * b)).size()",
    ]

    func walked(_ program: CELProgram, budget: Int) -> (Result<CELValue, CELError>, Int) {
        var evaluator = Evaluator(activation: CELActivation(Self.activation), containerPrefixes: program.containerPrefixes, budget: budget)
        let result = Result { () throws(CELError) -> CELValue in
            do { return try evaluator.eval(program.root) } catch { throw error as? CELError ?? CELError("\(error)") }
        }
        return (result, evaluator.budget)
    }

    func compiled(_ program: CELProgram, budget: Int) -> (Result<CELValue, CELError>, Int) {
        var evaluator = Evaluator(activation: CELActivation(Self.activation), containerPrefixes: program.containerPrefixes, budget: budget)
        let result = Result { () throws(CELError) -> CELValue in
            do { return try program.step(&evaluator) } catch { throw error as? CELError ?? CELError("\(error)") }
        }
        return (result, evaluator.budget)
    }

    func same(_ a: Result<CELValue, CELError>, _ b: Result<CELValue, CELError>) -> Bool {
        switch (a, b) {
        case let (.success(x), .success(y)): return x.typeName == y.typeName && x.celEquals(y) || "\(x)" == "\(y)"
        case let (.failure(x), .failure(y)): return x.message == y.message
        default: return false
        }
    }

    @Test("compiled steps give the tree walker's result, error and cost", arguments: expressions)
    func agreesWithTheWalker(_ source: String) throws {
        let program = try CEL.compile(source)
        let (reference, referenceBudget) = walked(program, budget: 1_000_000)
        let (result, budget) = compiled(program, budget: 1_000_000)
        #expect(same(result, reference), "\(source): \(result) vs \(reference)")
        #expect(budget == referenceBudget, "\(source): cost \(1_000_000 - budget) vs \(1_000_000 - referenceBudget)")
        // Every budget short of what it needs stops both forms the same way.
        let cost = 1_000_000 - referenceBudget
        for limit in Set([0, 1, cost / 2, cost - 1].filter { $0 >= 0 }) {
            let (r1, _) = walked(program, budget: limit), (r2, _) = compiled(program, budget: limit)
            #expect(same(r1, r2), "\(source) with budget \(limit): \(r2) vs \(r1)")
        }
    }

    @Test("a container qualifies names in compiled programs as in the walker")
    func container() throws {
        let program = try CEL.compile("y + 1", container: "com.example")
        #expect(try program.evaluate(["com.example.y": .int(1), "y": .int(10)]).celEquals(.int(2)))
        #expect(try program.evaluate(["y": .int(10)]).celEquals(.int(11)))
    }

    @Test("what a program reads of its activation: fields selected, or the whole value")
    func references() throws {
        let reads = try CEL.compile("cluster.tier == 'edge' && has(environment.name) && object.spec.x > 0 && request.kind.kind == 'A'")
            .referencedVariables
        #expect(reads["cluster"] == .some(["tier"]))
        #expect(reads["environment"] == .some(["name"]))
        #expect(reads["object"] == .some(["spec"]))
        #expect(reads["request"] == .some(["kind"]))
        #expect(try CEL.compile("cluster.tier == 'edge' && cluster != {}").referencedVariables["cluster"] == .some(nil))
        #expect(try CEL.compile("[1].all(cluster, cluster > 0)").referencedVariables["cluster"] == .some(nil))
        #expect(try CEL.compile("cluster[?'tier'].hasValue()").referencedVariables["cluster"] == .some(nil))
        #expect(try CEL.compile("1 + 1").referencedVariables.isEmpty)
    }
}

/// CEL sizes strings in code points (cel-spec `size(string)`; cel-go `common.StringTraversalCostFactor`
/// for the cost of a regular expression), which Sluice counts from the UTF-8 bytes.
@Suite struct CodePointCountTests {
    @Test(arguments: ["", "a", "ghcr.io/example/jobs:1.2.3", "é", "e\u{301}", "日本語", "🇩🇪", "a\u{0}b", String(repeating: "ä😀x", count: 50)])
    func codePointsAreUnicodeScalars(_ text: String) throws {
        #expect(Regex.codePoints(text) == text.unicodeScalars.count)
        #expect(try CEL.compile("s.size()").evaluate(["s": .string(text)]).celEquals(.int(Int64(text.unicodeScalars.count))) == true)
    }
}

@Suite struct ActivationTests {
    @Test func variablesAreSetReplacedAndRemovedByName() throws {
        var activation = CELActivation(["object": .int(1), "params": .string("p")])
        #expect(activation["object"]?.celEquals(.int(1)) == true)
        #expect(activation["objects"] == nil)
        activation["object"] = .int(2)
        activation["oldObject"] = .null
        #expect(activation["object"]?.celEquals(.int(2)) == true)
        #expect(activation["oldObject"]?.celEquals(.null) == true)
        activation["params"] = nil
        #expect(activation["params"] == nil)
        #expect(try CEL.compile("object + 1").evaluate(activation).celEquals(.int(3)))
        // A reference compiled once finds the variable in activations built in any order.
        let program = try CEL.compile("a * 10 + b")
        for pairs in [[("a", 1), ("b", 2)], [("b", 2), ("a", 1)]] {
            var reordered = CELActivation()
            for (name, value) in pairs { reordered[name] = .int(Int64(value)) }
            #expect(try program.evaluate(reordered).celEquals(.int(12)))
        }
    }
}

@Suite struct UndeclaredReferenceTests {
    /// A dotted name whose first part is undeclared is tried as a variable of its own, in both forms
    /// of evaluation; the error, when there is none, names the first part (cel-go: "undeclared
    /// reference to 'x'").
    @Test func dottedNamesFallBackToDottedVariables() throws {
        let activation = CELActivation(["a.b": .map(try CELMap([(.string("c"), .int(7))]))])
        #expect(try CEL.compile("a.b.c").evaluate(activation).celEquals(.int(7)))
        #expect(try CEL.compile("a.b.c + 1 == 8 && true").evaluate(activation).celEquals(.bool(true)))
        let error = try #require(throws: CELError.self) { try CEL.compile("x.y").evaluate(activation) }
        #expect(error.message == "undeclared reference to 'x'")
        #expect(error.undeclaredReference == "x")
        let other = try #require(throws: CELError.self) { try CEL.compile("1 / 0").evaluate(activation) }
        #expect(other.undeclaredReference == nil)
    }
}
