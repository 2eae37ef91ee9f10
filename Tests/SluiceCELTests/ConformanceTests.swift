import Foundation
import SluiceCEL
import Testing

/// Runs the cel-spec "simple" conformance files. Tests that need protobuf message types are
/// skipped, each with its reason; everything else runs.
@Suite("CEL conformance")
struct ConformanceTests {
    struct Outcome { var passed = 0, failed = 0, skipped = 0; var failures: [String] = [] }

    static var directory: URL { Bundle.module.resourceURL!.appendingPathComponent("Conformance") }

    /// Why a test cannot run without protobuf support, or `nil` when it can.
    static func skipReason(_ test: TextProto, raw: String) -> String? {
        let markers = ["object_value", "TestAllTypes", "google.protobuf", "enum_value", "cel.expr.conformance", "NestedTestAllTypes", "GlobalEnum"]
        if let m = markers.first(where: { raw.contains($0) }) { return "needs protobuf message types (\(m))" }
        if test.string("container").map({ !$0.isEmpty }) == true { return "needs a protobuf container" }
        if test.first("check_only") != nil { return "checks the type checker only" }
        return nil
    }

    static func value(_ m: TextProto) -> CELValue? {
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
                let raw = test.flatText
                if skipReason(test, raw: raw) != nil { outcome.skipped += 1; continue }
                var activation: [String: CELValue] = [:]
                var bindable = true
                for binding in test.messages("bindings") {
                    guard let key = binding.string("key"), let v = binding.message("value")?.message("value").flatMap(value) else { bindable = false; continue }
                    activation[key] = v
                }
                guard bindable else { outcome.skipped += 1; continue }
                let expectsError = test.first("eval_error") != nil || test.first("any_eval_errors") != nil
                var expected: CELValue? = .bool(true)
                if let v = test.message("value") { expected = value(v) }
                if let typed = test.message("typed_result"), let r = typed.message("result") { expected = value(r) }
                if expected == nil && !expectsError { outcome.skipped += 1; continue }
                let result = Result { try CEL.compile(test.string("expr") ?? "").evaluate(activation) }
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

    /// Tests that pass today, per file. A run may pass more, never fewer: raise these numbers as
    /// the implementation grows. Everything not skipped is meant to pass in the end.
    static let floor: [String: Int] = [
        "basic": 43, "bindings_ext": 6, "block_ext": 22, "comparisons": 330,
        "conversions": 109, "encoders_ext": 4, "fields": 50, "fp_math": 30, "integer_math": 64, "lists": 39,
        "logic": 30, "macros": 44, "macros2": 46, "math_ext": 199, "namespace": 2, "network_ext": 9, "optionals": 3,
        "parse": 193, "plumbing": 5, "string": 49, "string_ext": 212, "timestamps": 73, "type_deduction": 12,
    ]

    @Test("every conformance file runs, and no file passes fewer tests than before")
    func conformance() throws {
        let files = try FileManager.default.contentsOfDirectory(at: Self.directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "textproto" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        var total = Outcome()
        var lines: [String] = []
        for file in files {
            let o = try Self.run(file: file)
            let name = file.deletingPathExtension().lastPathComponent
            #expect(o.passed >= Self.floor[name, default: 0], "\(name): \(o.passed) passed, fewer than the \(Self.floor[name, default: 0]) that passed before")
            lines.append("\(file.deletingPathExtension().lastPathComponent): \(o.passed) passed, \(o.failed) failed, \(o.skipped) skipped")
            total.passed += o.passed; total.failed += o.failed; total.skipped += o.skipped; total.failures += o.failures
        }
        print(lines.joined(separator: "\n"))
        print("conformance: \(total.passed) passed, \(total.failed) failed, \(total.skipped) skipped")
        if let path = ProcessInfo.processInfo.environment["CEL_FAILURES"] {
            try total.failures.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
    }
}
