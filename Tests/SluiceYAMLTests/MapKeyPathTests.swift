import SluiceCore
import Testing

@testable import SluiceYAML

/// The parser reads an untagged string key straight from libyaml's bytes into its map entry and
/// checks duplicates by a byte fingerprint before comparing text; these pin what that path must
/// keep from the general one.
@Suite struct MapKeyPathTests {
    @Test func canonicallyEqualKeysAreDuplicatesAsSwiftComparesThem() throws {
        // U+212A KELVIN SIGN is canonically equivalent to "K", so Swift's == says the keys are
        // equal though their bytes differ: the byte fingerprint must not hide this duplicate.
        let small = try #require(throws: YAMLError.self) { try YAML.parse("K: 1\n\u{212A}: 2\n", file: "k.yaml") }
        #expect(small.location == SluiceCore.SourceLocation(file: "k.yaml", line: 2, column: 1))
        #expect(small.message.contains("line 1, column 1"))
        #expect(throws: YAMLError.self) { try YAML.parse("\u{E9}: 1\ne\u{301}: 2\n") }
        var large = ""
        for i in 0..<20 { large += "key\(i): \(i)\n" }
        large += "\u{212A}: 1\nK: 2\n"
        // A map of 16 keys or more checks duplicates through an index, apart from the inline check.
        let inLarge = try #require(throws: YAMLError.self) { try YAML.parse(large, file: "large.yaml") }
        #expect(inLarge.location == SluiceCore.SourceLocation(file: "large.yaml", line: 22, column: 1))
        #expect(inLarge.message.contains("duplicate key \"K\" (first written at line 21, column 1)"))
    }

    @Test func differentKeysWithEqualLengthsAreKept() throws {
        let doc = try YAML.parseDocument("ab: 1\nba: 2\nvery.long.key.name.abc: 3\nvery.long.key.name.abd: 4\n")
        #expect(doc.mapValue?.keys == ["ab", "ba", "very.long.key.name.abc", "very.long.key.name.abd"])
        #expect(doc["ba"] == 2 && doc["very.long.key.name.abd"] == 4)
    }

    @Test func anchoredKeysAliasesAsKeysAndValuesKeepTheirPlaces() throws {
        let flow = try YAML.parseDocument("{&k name: 1, other: *k}\n", file: "f.yaml")
        #expect(flow["other"] == "name")
        #expect(flow["other"]?.location == SluiceCore.SourceLocation(file: "f.yaml", line: 1, column: 21))
        // A key with an anchor is located at the anchor, where libyaml starts the node.
        #expect(flow.mapValue?.entry("name")?.keyLocation == SluiceCore.SourceLocation(file: "f.yaml", line: 1, column: 2))
        let dup = try #require(throws: YAMLError.self) { try YAML.parse("a: &k name\nm: {name: 1, *k : 2}\n") }
        #expect(dup.message.contains("duplicate key \"name\""))
    }

    @Test func keysReadAsNumbersAndAsTextAreTheSameKey() throws {
        // A number key becomes its text (sigs.k8s.io/yaml); the text written out is then the same
        // key, short or long, whichever way its fingerprint was taken.
        for (first, second) in [("1", "\"1\""), ("\"1\"", "1"), ("true", "\"true\""), ("1234567890123456789", "\"1234567890123456789\"")] {
            let error = try #require(throws: YAMLError.self) { try YAML.parse("\(first): a\n\(second): b\n") }
            #expect(error.message.contains("duplicate key"), "\(first) and \(second)")
        }
    }

    @Test func eachValueLandsOnItsOwnKeyAcrossNesting() throws {
        let doc = try YAML.parseDocument("a: {b: [1, {c: d}], e: f}\ng: h\ni:\n  - j: k\n    l: m\n")
        #expect(doc == ["a": ["b": [1, ["c": "d"]], "e": "f"], "g": "h", "i": [["j": "k", "l": "m"]]])
        #expect(doc[path: "i"]?[0]?.mapValue?.entry("l")?.keyLocation?.line == 5)
    }
}
