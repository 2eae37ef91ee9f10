import SluiceCore
import Testing

@testable import SluiceYAML

/// Parses `key: <text>` and returns the value of `key`, so the text is read as a plain scalar.
func plainValue(_ text: String) throws -> Value {
    let doc = try YAML.parseDocument("key: \(text)\n")
    return try #require(doc["key"])
}

@Suite struct ResolverTests {
    @Test(arguments: ["~", "null", "Null", "NULL", ""])
    func nullWords(_ text: String) throws {
        #expect(try plainValue(text).isNull)
    }

    @Test(arguments: ["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"])
    func trueWords(_ text: String) throws {
        #expect(try plainValue(text).boolValue == true)
    }

    @Test(arguments: ["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"])
    func falseWords(_ text: String) throws {
        #expect(try plainValue(text).boolValue == false)
    }

    @Test(arguments: ["nULL", "yES", "tRUE", "oN", "nO", "ofF", "NuLL", "trUe", "yess", "nil", "None"])
    func mixedCaseWordsStayStrings(_ text: String) throws {
        #expect(try plainValue(text).stringValue == text)
    }

    static let intTable: [(String, Int)] = [
        ("0", 0), ("12", 12), ("-12", -12), ("+12", 12), ("1_000_000", 1_000_000), ("0x1F", 31), ("0X1f", 31),
        ("-0x10", -16), ("0o17", 15), ("017", 15), ("0b101", 5), ("-0b11", -3), ("0B11", 3), ("00", 0),
        ("9223372036854775807", Int.max), ("-9223372036854775808", Int.min), ("0x_ff", 255), ("1__0", 10),
    ]

    @Test(arguments: intTable)
    func integers(_ text: String, _ expected: Int) throws {
        let v = try plainValue(text)
        #expect(v.intValue == expected, "\(text) -> \(v)")
    }

    static let floatTable: [(String, Double)] = [
        ("1.5", 1.5), ("-1.5", -1.5), ("+1.5", 1.5), ("1.", 1.0), (".5", 0.5), ("+.5", 0.5), ("-.5", -0.5),
        ("1e3", 1000), ("1E3", 1000), ("1.5e-3", 0.0015), ("1_000.5", 1000.5), (".5e2", 50),
        ("08", 8), ("09.5", 9.5),  // invalid octal falls through to the float pattern, as in go-yaml
        ("9223372036854775808", 9223372036854775808.0),  // beyond Int.max: ParseUint, kept as the nearest double
        ("-9223372036854775809", -9223372036854775809.0), ("1e-400", 0),
        (".inf", .infinity), (".Inf", .infinity), (".INF", .infinity), ("+.inf", .infinity), ("+.Inf", .infinity),
        ("+.INF", .infinity), ("-.inf", -.infinity), ("-.Inf", -.infinity), ("-.INF", -.infinity),
    ]

    @Test(arguments: floatTable)
    func floats(_ text: String, _ expected: Double) throws {
        let v = try plainValue(text)
        guard case .double(let d) = v.kind else {
            Issue.record("\(text) resolved to \(v.typeName)")
            return
        }
        #expect(d == expected, "\(text) -> \(d)")
    }

    @Test(arguments: [".nan", ".NaN", ".NAN"])
    func notANumber(_ text: String) throws {
        let v = try plainValue(text)
        #expect(v.doubleValue?.isNaN == true)
    }

    @Test(arguments: [
        "0x", "0b2", "0o8", "1e400", "1.2.3", "1e", "e3", "._5", ".5_0", "+", "-x", "1-2", "12:30", "2024-01-01",
        "0x1G", ".inF", "inf", "nan", "1,000", "1 000", "+-1", "abc", "<<x", "=", "1.5x", "v1",
    ])
    func stringsThatLookAlmostLikeSomethingElse(_ text: String) throws {
        #expect(try plainValue(text).stringValue == text)
    }

    @Test(arguments: ["'yes'", "\"yes\"", "'1'", "\"0x1F\"", "'null'", "'~'", "\"\"", "'1.5'", "\"true\""])
    func quotedScalarsAreStrings(_ text: String) throws {
        let v = try plainValue(text)
        #expect(v.stringValue == String(text.dropFirst().dropLast()))
    }

    @Test func blockScalarsAreStrings() throws {
        let doc = try YAML.parseDocument("a: |\n  yes\nb: >\n  12\nc: |-\n  null\nd: >-\n  one\n  two\n\n  three\n")
        #expect(doc["a"] == "yes\n")
        #expect(doc["b"] == "12\n")
        #expect(doc["c"] == "null")
        #expect(doc["d"] == "one two\nthree")
    }

    @Test func explicitTags() throws {
        let doc = try YAML.parseDocument(
            """
            s: !!str 123
            i: !!int "42"
            f: !!float 3
            b: !!bool "yes"
            nul: !!null ""
            bin: !!binary aGVsbG8=
            custom: !thing 12
            bare: ! 12
            m: !!map {a: 1}
            l: !!seq [1]
            """)
        #expect(doc["s"] == "123")
        #expect(doc["i"] == 42)
        #expect(doc["f"] == Value.double(3))
        #expect(doc["b"] == true)
        #expect(doc["nul"]?.isNull == true)
        #expect(doc["bin"] == "aGVsbG8=")
        #expect(doc["custom"] == "12")
        #expect(doc["bare"] == "12")
        #expect(doc["m"] == ["a": 1])
        #expect(doc["l"] == [1])
    }

    @Test(arguments: [
        ("x: !!int abc", "!!int"), ("x: !!int 1.5", "!!int"), ("x: !!bool 1", "!!bool"), ("x: !!float abc", "!!float"),
        ("x: !!null 0", "!!null"), ("x: !!map 1", "!!map"), ("x: !!seq {a: 1}", "!!seq"),
    ])
    func tagMismatchIsAnErrorWithLocation(_ yaml: String, _ tag: String) throws {
        let error = try #require(throws: YAMLError.self) { try YAML.parse(yaml, file: "t.yaml") }
        #expect(error.message.contains(tag))
        #expect(error.location == SluiceCore.SourceLocation(file: "t.yaml", line: 1, column: 4))
        #expect(error.hint != nil)
    }

    @Test func nonStringKeysBecomeTheirStringForm() throws {
        let doc = try YAML.parseDocument("true: a\n1: b\n0x10: c\n1.5: d\nno: e\n1e6: f\n0.0001: g\n123456: h\n0.1: i\n")
        #expect(doc.mapValue?.keys == ["true", "1", "16", "1.5", "false", "1e+06", "0.0001", "123456", "0.1"])
    }

    @Test func nullAndComplexKeysAreRefused() throws {
        #expect(throws: YAMLError.self) { try YAML.parse("~: a\n") }
        #expect(throws: YAMLError.self) { try YAML.parse("? [a, b]\n: c\n") }
        #expect(throws: YAMLError.self) { try YAML.parse("{a: 1}: c\n") }
    }

    @Test func goFloat32KeyFormatting() {
        #expect(MapKeyText.goFloat32G(1.5) == "1.5")
        #expect(MapKeyText.goFloat32G(100) == "100")
        #expect(MapKeyText.goFloat32G(1e6) == "1e+06")
        #expect(MapKeyText.goFloat32G(1e-5) == "1e-05")
        #expect(MapKeyText.goFloat32G(-2.5e10) == "-2.5e+10")
        #expect(MapKeyText.goFloat32G(0) == "0")
        #expect(MapKeyText.goFloat32G(0.001) == "0.001")
        #expect(MapKeyText.goFloat32G(.infinity) == ".inf")
    }
}
