import Foundation
import SluiceCore
import SluiceTestSupport
import Testing

@testable import SluiceYAML

/// Feeds the YAML and JSON readers random documents, mutations of valid ones, token soup, deep
/// nests and alias bombs: whatever the input, the process must not die, a refusal is a
/// `YAMLError` (never another error), and what parses can be written out and read
/// back. A seeded run of 2,000 inputs is part of `make test`; `make fuzz` runs it for a given time
/// (see `FuzzPlan`).
@Suite struct YAMLFuzzTests {
    static let tokens = [
        "- ", ": ", "? ", "&a ", "*a", "&b ", "*b", "!!str ", "!!int ", "!!map ", "!tag ", "!<x> ", "[", "]", "{", "}",
        ", ", "|", ">", "|-", ">+", "|2", "'", "\"", "#", "---\n", "...\n", "%YAML 1.2\n", "%TAG ! tag:x,2024:\n",
        "\n", "  ", "    ", "\t", "key", "1", "~", "<<: *a", "\u{FEFF}", "\\", "\u{0}", "\r\n", "é", "😀", "null",
        "0x1F", ".inf", "\"\\u", "'''", "@", "`", "%",
    ]

    @Test func randomDocumentsNeverCrashTheReader() async throws {
        let plan = FuzzPlan(defaultSeed: 0x5EED_7A31, defaultCount: 2_000)
        print("YAML fuzz: seed \(plan.seed) (replay: make fuzz FUZZ_SEED=\(plan.seed))")
        var rng = FuzzRandom(seed: plan.seed)
        var values = ValueGenerator(rng: SeededGenerator(seed: plan.seed))
        var total = 0, parsed = 0
        while plan.shouldContinue(after: total) {
            // Long CPU-bound loops hand the cooperative pool back now and then: on two cores,
            // the servers other suites test run on the same two threads.
            if total % 50 == 0 { await Task.yield() }
            total += 1
            let text = Self.input(&rng, &values)
            do {
                let documents = try YAML.parse(text, file: "fuzz.yaml")
                parsed += 1
                // What was read can be written and read again.
                let again = try YAML.parse(YAML.emit(documents: documents), file: "emitted.yaml")
                #expect(again.count == documents.count, "seed \(plan.seed), case \(total)")
            } catch is YAMLError {
            } catch {
                Issue.record("seed \(plan.seed), case \(total): not a YAMLError: \(error)")
            }
            do {
                _ = try JSON.decode(text, file: "fuzz.json")
            } catch is YAMLError {
            } catch {
                Issue.record("seed \(plan.seed), case \(total): not a YAMLError: \(error)")
            }
        }
        print("YAML fuzz: \(total) inputs, \(parsed) parsed")
        #expect(parsed > 0)
    }

    static func input(_ rng: inout FuzzRandom, _ values: inout ValueGenerator) -> String {
        func int(_ r: Range<Int>) -> Int { Int.random(in: r, using: &rng) }
        func token() -> String { tokens.randomElement(using: &rng)! }
        switch int(0..<100) {
        case 0..<35:
            return YAML.emit(values.value(depth: int(1..<6)))
        case 35..<60:
            var chars = Array(YAML.emit(values.value(depth: int(1..<5))))
            for _ in 0..<int(1..<5) {
                let i = chars.isEmpty ? 0 : int(0..<chars.count)
                switch int(0..<3) {
                case 0 where !chars.isEmpty: chars.remove(at: i)
                case 1: chars.insert(contentsOf: Array(token()), at: i)
                default:
                    guard !chars.isEmpty else { continue }
                    let end = min(chars.count, i + int(1..<10))
                    chars.insert(contentsOf: Array(String(repeating: String(chars[i..<end]), count: int(2..<40))), at: i)
                }
            }
            return String(chars)
        case 60..<78:
            return (0..<int(1..<80)).map { _ in token() }.joined()
        case 78..<96:
            let n = int(100..<2_000)
            switch int(0..<7) {
            case 0: return String(repeating: "[", count: n) + String(repeating: "]", count: n)
            case 1: return String(repeating: "{a: ", count: n) + "1" + String(repeating: "}", count: n)
            case 2: return String(repeating: "- ", count: n) + "x\n"
            case 3: return (0..<min(n, 400)).map { String(repeating: "  ", count: $0) + "a:\n" }.joined() + String(repeating: "  ", count: min(n, 400)) + "1\n"
            case 4: return String(repeating: "---\n", count: n)
            case 5: return String(repeating: "[", count: n)
            default: return "a: &a [" + String(repeating: "*a, ", count: n) + "]\n"
            }
        default:
            // Alias fan-out: each level repeats the one before.
            let fanout = int(2..<20), levels = int(2..<12)
            var text = "l0: &l0 [x, x]\n"
            for level in 1..<levels {
                text += "l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: fanout).joined(separator: ", ") + "]\n"
            }
            return text
        }
    }
}
