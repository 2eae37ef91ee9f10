@testable import SluiceYAML

/// A small deterministic random generator (SplitMix64), so property tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Generates values full of the strings and numbers that are easy to get wrong in YAML.
struct ValueGenerator {
    var rng: SeededGenerator

    static let trickyStrings: [String] = [
        "", " ", "yes", "No", "on", "OFF", "y", "n", "~", "null", "NULL", "true", "False", "1", "-1", "+1", "1.0", "1.",
        ".5", "1e3", "0x1F", "0o17", "017", "0b11", "08", "1_000", ".inf", "-.inf", ".nan", "<<", "- item", "-x", "-",
        "key: value", "a #b", "a#b", "trailing ", " leading", "ends:", "::1", "# comment", "&anchor", "*alias",
        "!tag", "|", ">", "'single'", "\"double\"", "%directive", "@at", "`tick`", "[a]", "{a: 1}", "a, b", "?", "? x",
        "---", "...", "--- x", "line\nbreak", "two\n", "three\n\n", "\nleading newline", "  indented\nblock",
        "tab\there", "cr\rhere", "nul\u{0}", "bell\u{7}", "del\u{7F}", "nel\u{85}", "ls\u{2028}", "bom\u{FEFF}",
        "é", "日本語", "emoji 😀", "back\\slash", "quote\"s", "it's", "a\n  b\n", "a\n\n\nb", "x\n \ny", "x\n   ",
        "=", "2024-01-01", "12:30", "1e400", "0x", "Yes please", "null value", "java -Xmx1g -jar app.jar",
    ]

    static let alphabet: [String] = [
        "a", "b", "Z", "0", "1", "9", " ", " ", ":", "#", "-", ".", "\n", "\t", "'", "\"", "\\", "é", "😀", "\u{85}",
        "\u{2028}", "\u{7}", "&", "*", "!", "|", ">", "%", "@", "`", "[", "]", "{", "}", ",", "?", "_", "+", "e", "x",
    ]

    mutating func string() -> String {
        if Int.random(in: 0..<3, using: &rng) == 0 { return Self.trickyStrings.randomElement(using: &rng)! }
        let n = Int.random(in: 0..<12, using: &rng)
        return (0..<n).map { _ in Self.alphabet.randomElement(using: &rng)! }.joined()
    }

    mutating func double() -> Double {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return [1.0, 0.0, -0.0, .infinity, -.infinity, .nan, 1e300, Double.leastNonzeroMagnitude, 0.1, 1e16, 123456789.125].randomElement(using: &rng)!
        case 1: return Double(Int.random(in: -1000...1000, using: &rng))
        case 2: return Double(bitPattern: rng.next())
        default: return Double.random(in: -1e6...1e6, using: &rng)
        }
    }

    mutating func scalar() -> Value {
        switch Int.random(in: 0..<8, using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int([0, 1, -1, Int.max, Int.min, 8, 1000].randomElement(using: &rng)!)
        case 3: return .int(Int.random(in: Int.min...Int.max, using: &rng))
        case 4: return .double(double())
        default: return .string(string())
        }
    }

    mutating func value(depth: Int) -> Value {
        guard depth > 0, Int.random(in: 0..<3, using: &rng) > 0 else { return scalar() }
        let count = Int.random(in: 0..<5, using: &rng)
        if Bool.random(using: &rng) {
            return .list((0..<count).map { _ in value(depth: depth - 1) })
        }
        var m = Mapping()
        for _ in 0..<count { m[string()] = value(depth: depth - 1) }
        return .map(m)
    }
}
