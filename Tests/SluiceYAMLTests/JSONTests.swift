import SluiceCore
import Testing

@testable import SluiceYAML

@Suite struct JSONTests {
    @Test func decodeKeepsOrderTypesAndLocations() throws {
        let text = """
            {
              "b": 1,
              "a": [1.5, -0, 9223372036854775807, 9223372036854775808, 1e2, true, null],
              "ü": {"k": "v"}
            }
            """
        let v = try JSON.decode(text, file: "x.json")
        #expect(v.mapValue?.keys == ["b", "a", "ü"])
        let a = try #require(v["a"]?.listValue)
        #expect(a[0] == .double(1.5))
        #expect(a[1] == .int(0))
        #expect(a[2] == .int(Int.max))
        #expect(a[3] == .double(9223372036854775808.0))
        #expect(a[4] == .double(100))
        #expect(a[5] == true)
        #expect(a[6] == nil)
        #expect(v.location == SluiceCore.SourceLocation(file: "x.json", line: 1, column: 1))
        #expect(v.mapValue?.entry("a")?.keyLocation == SluiceCore.SourceLocation(file: "x.json", line: 3, column: 3))
        #expect(a[3].location == SluiceCore.SourceLocation(file: "x.json", line: 3, column: 39))
        #expect(v[path: "ü", "k"]?.location == SluiceCore.SourceLocation(file: "x.json", line: 4, column: 14))
    }

    @Test func stringEscapes() throws {
        let v = try JSON.decode(#"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\ud83d\ude00", "日本"]"#)
        #expect(v == ["a\"b\\c/d\u{8}\u{C}\n\r\t", "é😀", "日本"])
    }

    @Test(arguments: [
        ("{\"a\": 1,}", 1, 9, "trailing comma"),
        ("[1, 2,]", 1, 7, "trailing comma"),
        ("{\"a\" 1}", 1, 6, "':'"),
        ("[01]", 1, 2, "leading zeros"),
        ("{'a': 1}", 1, 2, "string key"),
        ("[1]\n[2]", 2, 1, "after the JSON value"),
        ("\"abc", 1, 1, "unterminated"),
        ("[\"a\tb\"]", 1, 4, "control character"),
        ("[\"\\x\"]", 1, 3, "invalid escape"),
        ("[\"\\ud800\"]", 1, 3, "surrogate"),
        ("[\"\\udc00\"]", 1, 3, "surrogate"),
        ("[NaN]", 1, 2, "expected a value"),
        ("[1.]", 1, 4, "decimal point"),
        ("[1e]", 1, 4, "exponent"),
        ("[-]", 1, 3, "digit"),
        ("[1e400]", 1, 2, "out of range"),
        ("{\"a\": 1, \"a\": 2}", 1, 10, "line 1, column 2"),
        ("", 1, 1, "empty"),
        ("[tru]", 1, 2, "true"),
        ("{\n  \"é\": [1 2]\n}", 2, 11, "',' or ']'"),
        ("// c\n1", 1, 1, "expected a value"),
    ])
    func strictErrorsWithPositions(_ text: String, _ line: Int, _ column: Int, _ fragment: String) throws {
        let e = try #require(throws: YAMLError.self) { try JSON.decode(text, file: "e.json") }
        #expect(e.location == SluiceCore.SourceLocation(file: "e.json", line: line, column: column), "\(e)")
        #expect(e.message.contains(fragment), "\(e)")
    }

    @Test func invalidUTF8IsRefused() throws {
        let bytes: [UInt8] = [0x5B, 0x22, 0x61, 0xC3, 0x28, 0x22, 0x5D]
        let e = try #require(throws: YAMLError.self) { try JSON.decode(bytes) }
        #expect(e.location?.column == 4)
        #expect(throws: YAMLError.self) { try JSON.decode([0x22, 0xED, 0xA0, 0x80, 0x22]) }  // encoded surrogate
        #expect(throws: YAMLError.self) { try JSON.decode([0x22, 0xC0, 0xAF, 0x22]) }  // overlong
    }

    @Test func depthLimit() throws {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let e = try #require(throws: YAMLError.self) { try JSON.decode(deep) }
        #expect(e.location?.column == 201)
        #expect(try JSON.decode("[[[1]]]", maxDepth: 3) == [[[1]]])
        #expect(throws: YAMLError.self) { try JSON.decode("[[[1]]]", maxDepth: 2) }
    }

    @Test func encodeEscapesAndFormats() {
        let v: Value = ["q": "a\"b\\c\n\t\u{1}\u{7F}é😀", "n": [1, 1.0, 0.1, 1e-7, nil, true], "e": [:], "l": []]
        #expect(
            JSON.encode(v)
                == #"{"q":"a\"b\\c\n\t\u0001\#u{7F}é😀","n":[1,1.0,0.1,1e-07,null,true],"e":{},"l":[]}"#)
        #expect(JSON.encode(["b": 1, "a": [2]], pretty: true, sortedKeys: true) == "{\n  \"a\": [\n    2\n  ],\n  \"b\": 1\n}")
        #expect(JSON.encode([.double(.nan), .double(.infinity)]) == "[null,null]")
    }

    @Test func roundTripProperty() throws {
        var generator = ValueGenerator(rng: SeededGenerator(seed: 7))
        for iteration in 0..<3000 {
            let value = Self.finite(generator.value(depth: 5))
            for pretty in [false, true] {
                let text = JSON.encode(value, pretty: pretty)
                let back = try JSON.decode(text)
                guard back == value else {
                    Issue.record("iteration \(iteration): \(text)")
                    return
                }
            }
        }
    }

    @Test func chunkedEncodingJoinsToTheWholeText() {
        var generator = ValueGenerator(rng: SeededGenerator(seed: 11))
        // Large values cross the writer's chunk size several times; small ones fit one chunk.
        let values = (0..<200).map { _ in generator.value(depth: 6) } + [Value(.list((0..<2000).map { .int($0) }))]
        for value in values {
            for (pretty, sorted) in [(false, false), (false, true), (true, true)] {
                var joined: [UInt8] = []
                var pieces = 0
                JSON.encode(value, pretty: pretty, sortedKeys: sorted) { chunk in
                    joined.append(contentsOf: chunk)
                    pieces += 1
                }
                #expect(joined == JSON.encodedBytes(value, pretty: pretty, sortedKeys: sorted))
                #expect(pieces >= 1)
            }
        }
    }

    @Test func sortedKeysFollowUTF8ByteOrder() {
        // Byte order, not String order: upper case before lower case, "a" before "a.b" before "ab",
        // a decomposed é before "f" (String ordering compares it as the composed é, after "f"),
        // and non-ASCII after everything ASCII.
        let v: Value = ["ü": 1, "f": 9, "e\u{301}": 2, "ab": 3, "a.b": 4, "a": 5, "Z": 6, "": 7, "zz": 8]
        #expect(JSON.encode(v, sortedKeys: true) == #"{"":7,"Z":6,"a":5,"a.b":4,"ab":3,"e\#u{301}":2,"f":9,"zz":8,"ü":1}"#)
    }

    /// JSON has no NaN or infinity: replace them so the value can round-trip.
    static func finite(_ v: Value) -> Value {
        switch v.kind {
        case .double(let d) where !d.isFinite: return .double(0.5)
        case .list(let l): return .list(l.map(finite))
        case .map(let m): return .map(Mapping(m.entries.map { Mapping.Entry(key: $0.key, value: finite($0.value)) }))
        default: return v
        }
    }

    @Test func yamlAndJSONAgree() throws {
        let yaml = "a: [1, 2.5, yes, ~, 'x']\nb: {c: 0x10}\n"
        let v = try YAML.parseDocument(yaml)
        #expect(try JSON.decode(JSON.encode(v)) == v)
        #expect(JSON.encode(v) == #"{"a":[1,2.5,true,null,"x"],"b":{"c":16}}"#)
    }
}
