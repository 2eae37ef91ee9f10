import Foundation
import SluiceCEL
import Testing

/// Runs the cel-spec "simple" conformance files. Tests that need protobuf message types are
/// skipped, each with its reason; everything else runs.
@Suite("CEL conformance")
struct ConformanceTests {
    struct Outcome {
        var passed = 0, failed = 0, skipped = 0
        var failures: [String] = []
        /// How many tests were skipped for each reason.
        var skipReasons: [String: Int] = [:]

        /// Counts a skipped test; with CEL_SKIPS set, it is also listed in the CEL_FAILURES file.
        mutating func skip(_ reason: String, _ name: String) {
            skipped += 1
            skipReasons[reason, default: 0] += 1
            if ProcessInfo.processInfo.environment["CEL_SKIPS"] != nil { failures.append("SKIP \(name): \(reason)") }
        }
    }

    static var directory: URL { Bundle.module.resourceURL!.appendingPathComponent("Conformance") }

    /// Why a test cannot run here (it needs protobuf messages or the type checker), or `nil`
    /// when it can. Only the expression, the bindings and the expected value count: a type_env
    /// that declares message types is for the checker alone.
    static func skipReason(_ test: TextProto) -> String? {
        if test.first("check_only") != nil { return "checks the type checker only" }
        let expr = test.string("expr") ?? ""
        if let name = messageConstruction(in: expr) {
            let wellKnown = name.hasPrefix("google.protobuf.") || !name.contains("Test")
            return wellKnown ? "needs protobuf well-known message types (google.protobuf.Value{...} and the like)"
                             : "needs protobuf message types (TestAllTypes{...} and the like)"
        }
        let protobufNames = ["NestedTestAllTypes", "TestAllTypes", "GlobalEnum", "cel.expr.conformance"]
        if let m = protobufNames.first(where: { expr.contains($0) }) { return "needs protobuf message or enum types (names \(m))" }
        if let m = expr.firstMatch(of: /google\.protobuf\.\w+/), !timeTypes.contains(String(m.output)) {
            return "needs protobuf message types (\(m.output))"
        }
        let values = (test.messages("bindings") + [test.message("value"), test.message("typed_result")].compactMap { $0 }).map(\.flatText).joined()
        let messages = values.matches(of: /object_value \{ \[type\.googleapis\.com\/([\w.]+)\]/).map { String($0.output.1) }
        if messages.contains(where: { !timeTypes.contains($0) }) || (values.contains("object_value") && messages.isEmpty) {
            return "needs protobuf message values (object_value)"
        }
        if values.contains("enum_value") { return "needs protobuf enum values (enum_value)" }
        return nil
    }

    /// The type name of a message construction such as `TestAllTypes{...}` in `expr`: a type
    /// name (its last part capitalised) directly followed by `{`, outside string literals.
    static func messageConstruction(in expr: String) -> String? {
        let code = expr.replacing(/'[^']*'|"[^"]*"/, with: "''")
        guard let m = code.firstMatch(of: /(?:^|[^\w.])((?:[a-z_]\w*\.)*[A-Z]\w*)\s*\{/) else { return nil }
        return String(m.output.1)
    }

    /// The protobuf messages that are CEL values of their own: durations and timestamps.
    static let timeTypes: Set<String> = ["google.protobuf.Duration", "google.protobuf.Timestamp"]

    /// A duration or timestamp packed as `object_value`, built through CEL's own conversions.
    static func timeValue(_ m: TextProto) -> CELValue? {
        for type in timeTypes {
            guard let fields = m.message("[type.googleapis.com/\(type)]") else { continue }
            let seconds = fields.scalar("seconds") ?? "0", nanos = fields.scalar("nanos") ?? "0"
            let expr = type.hasSuffix("Duration") ? "duration('\(seconds)s') + duration('\(nanos)ns')"
                                                  : "timestamp(\(seconds)) + duration('\(nanos)ns')"
            return try? CEL.compile(expr).evaluate([:])
        }
        return nil
    }

    static func value(_ m: TextProto) -> CELValue? {
        if let object = m.message("object_value") { return timeValue(object) }
        if let v = m.scalar("int64_value") { return Int64(v).map(CELValue.int) }
        if let v = m.scalar("uint64_value") { return UInt64(v).map(CELValue.uint) }
        if let v = m.scalar("double_value") {
            switch v.lowercased() {
            case "inf", "infinity": return .double(.infinity)
            case "-inf", "-infinity": return .double(-.infinity)
            case "nan": return .double(.nan)
            default: return Double(v).map(CELValue.double)
            }
        }
        if m.first("string_value") != nil { return .string(String(decoding: m.bytes("string_value") ?? [], as: UTF8.self)) }
        if m.first("bytes_value") != nil { return .bytes(m.bytes("bytes_value") ?? []) }
        if let v = m.scalar("bool_value") { return .bool(v == "true") }
        if m.first("null_value") != nil { return .null }
        if let v = m.string("type_value") { return .type(v) }
        if let list = m.message("list_value") {
            var items: [CELValue] = []
            for v in list.messages("values") { guard let x = value(v) else { return nil }; items.append(x) }
            return .list(items)
        }
        if let map = m.message("map_value") {
            var pairs: [(CELValue, CELValue)] = []
            for e in map.messages("entries") {
                guard let k = e.message("key").flatMap(value), let v = e.message("value").flatMap(value) else { return nil }
                pairs.append((k, v))
            }
            return try? .map(CELMap(pairs))
        }
        return nil
    }

    /// Equality for test results: like CEL's, but types must match exactly and NaN equals NaN.
    static func same(_ a: CELValue, _ b: CELValue) -> Bool {
        switch (a, b) {
        case let (.double(x), .double(y)): return x == y || (x.isNaN && y.isNaN)
        case let (.list(x), .list(y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case let (.map(x), .map(y)):
            return x.count == y.count && x.entries.allSatisfy { k, v in y[k].map { same(v, $0) } ?? false }
        case (.int, .int), (.uint, .uint), (.bool, .bool), (.string, .string), (.bytes, .bytes), (.null, .null), (.type, .type):
            return a.celEquals(b)
        default: return false
        }
    }

    static func run(file: URL) throws -> Outcome {
        let text = try String(contentsOf: file, encoding: .utf8)
        let root = try TextProto.parse(text)
        var outcome = Outcome()
        for section in root.messages("section") {
            for test in section.messages("test") {
                let name = "\(section.string("name") ?? "")/\(test.string("name") ?? "")"
                if let reason = skipReason(test) { outcome.skip(reason, name); continue }
                var activation: [String: CELValue] = [:]
                var bindable = true
                for binding in test.messages("bindings") {
                    guard let key = binding.string("key"), let v = binding.message("value")?.message("value").flatMap(value) else { bindable = false; continue }
                    activation[key] = v
                }
                guard bindable else { outcome.skip("a binding is not representable without protobuf", name); continue }
                let expectsError = test.first("eval_error") != nil || test.first("any_eval_errors") != nil
                var expected: CELValue? = .bool(true)
                if let v = test.message("value") { expected = value(v) }
                if let typed = test.message("typed_result"), let r = typed.message("result") { expected = value(r) }
                if expected == nil && !expectsError { outcome.skip("the expected value is not representable without protobuf", name); continue }
                let result = Result { try CEL.compile(test.string("expr") ?? "", container: test.string("container") ?? "").evaluate(activation) }
                switch (result, expectsError) {
                case (.failure, true): outcome.passed += 1
                case (.success(let v), false) where same(v, expected!): outcome.passed += 1
                case (.success(let v), _): outcome.failed += 1; outcome.failures.append("\(name): got \(v)")
                case (.failure(let e), false): outcome.failed += 1; outcome.failures.append("\(name): \(e)")
                }
            }
        }
        return outcome
    }

    /// Tests that pass today, per file: with no failure allowed, a lower number would mean tests
    /// quietly moved to the skipped side.
    static let floor: [String: Int] = [
        "basic": 43, "bindings_ext": 8, "block_ext": 25, "comparisons": 334,
        "conversions": 109, "encoders_ext": 4, "fields": 60, "fp_math": 30, "integer_math": 64, "lists": 39,
        "logic": 30, "macros": 44, "macros2": 46, "math_ext": 199, "namespace": 14, "network_ext": 69, "optionals": 59,
        "parse": 193, "plumbing": 5, "string": 51, "string_ext": 213, "timestamps": 78, "type_deduction": 12,
    ]

    @Test("every conformance test that does not need protobuf messages or the type checker passes")
    func conformance() throws {
        let files = try FileManager.default.contentsOfDirectory(at: Self.directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "textproto" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        var total = Outcome()
        var lines: [String] = []
        for file in files {
            let o = try Self.run(file: file)
            let name = file.deletingPathExtension().lastPathComponent
            #expect(o.passed >= Self.floor[name, default: 0], "\(name): \(o.passed) passed, fewer than the \(Self.floor[name, default: 0]) that passed before")
            #expect(o.failed == 0, "\(name): \(o.failures.prefix(5).joined(separator: "\n"))")
            lines.append("\(name): \(o.passed) passed, \(o.failed) failed, \(o.skipped) skipped")
            for (reason, count) in o.skipReasons.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
                lines.append("  skipped \(count): \(reason)")
            }
            total.passed += o.passed; total.failed += o.failed; total.skipped += o.skipped; total.failures += o.failures
        }
        print(lines.joined(separator: "\n"))
        print("conformance: \(total.passed) passed, \(total.failed) failed, \(total.skipped) skipped")
        if let path = ProcessInfo.processInfo.environment["CEL_FAILURES"] {
            try total.failures.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
    }
}
