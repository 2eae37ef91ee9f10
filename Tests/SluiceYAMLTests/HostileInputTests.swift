import SluiceCore
import Testing

@testable import SluiceYAML

@Suite struct HostileInputTests {
    /// The classic "billion laughs": 9 levels of 10 aliases each, 10^9 nodes once expanded.
    static let billionLaughs: String = {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            text += "a\(level): &a\(level) [\(refs)]\n"
        }
        return text
    }()

    @Test func billionLaughsIsRefusedQuickly() throws {
        let clock = ContinuousClock()
        var thrown: YAMLError?
        let elapsed = clock.measure {
            do { _ = try YAML.parse(Self.billionLaughs, file: "bomb.yaml") } catch let e as YAMLError { thrown = e } catch {}
        }
        let error = try #require(thrown)
        #expect(error.message.contains("1000000 nodes"))
        #expect(error.hint?.contains("alias bomb") == true)
        #expect(error.location?.file == "bomb.yaml")
        #expect(elapsed < .seconds(1))
    }

    @Test func aliasCountsAsItsExpandedSize() throws {
        // root map 1 + key a 1 + list a (1 + 3) + key b 1 + list b (1 + 2 aliases * 4) = 16 nodes.
        let text = "a: &x [1, 2, 3]\nb: [*x, *x]\n"
        #expect(try YAML.parse(text, limits: YAMLLimits(maxNodes: 16)).count == 1)
        #expect(throws: YAMLError.self) { try YAML.parse(text, limits: YAMLLimits(maxNodes: 15)) }
    }

    @Test func aliasLimit() throws {
        let text = "a: &x 1\nb: [*x, *x, *x]\n"
        #expect(try YAML.parse(text, limits: YAMLLimits(maxAliases: 3)).count == 1)
        let e = try #require(throws: YAMLError.self) { try YAML.parse(text, limits: YAMLLimits(maxAliases: 2)) }
        #expect(e.location?.line == 2)
        #expect(e.location?.column == 13)
    }

    @Test func deepNestingIsRefused() throws {
        let depth = 100_000
        let flow = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let e = try #require(throws: YAMLError.self) { try YAML.parse(flow, file: "deep.yaml") }
        #expect(e.message.contains("200 levels"))
        #expect(e.location == SluiceCore.SourceLocation(file: "deep.yaml", line: 1, column: 201))

        var block = ""
        for level in 0..<30 { block += String(repeating: " ", count: level * 2) + "k\(level):\n" }
        #expect(throws: YAMLError.self) { try YAML.parse(block, limits: YAMLLimits(maxDepth: 20)) }
        #expect(try YAML.parse(block, limits: YAMLLimits(maxDepth: 30)).count == 1)
    }

    @Test func oversizedInputIsRefusedBeforeParsing() throws {
        // Not valid YAML either: the size check must come first.
        let bytes = [UInt8](repeating: UInt8(ascii: "["), count: 2048)
        let e = try #require(throws: YAMLError.self) {
            try YAML.parseDocuments(bytes, file: "big.yaml", limits: YAMLLimits(maxBytes: 1024))
        }
        #expect(e.message.contains("2048 bytes"))
        #expect(e.location == SluiceCore.SourceLocation(file: "big.yaml", line: 1, column: 1))
    }

    @Test func duplicateKeysNameBothLocations() throws {
        let e = try #require(throws: YAMLError.self) {
            try YAML.parse("metadata:\n  name: a\n  labels: {}\n  name: b\n", file: "d.yaml")
        }
        #expect(e.location == SluiceCore.SourceLocation(file: "d.yaml", line: 4, column: 3))
        #expect(e.message.contains("\"name\""))
        #expect(e.message.contains("line 2, column 3"))
    }

    @Test func duplicateKeysAfterConversionAndInLargeMaps() throws {
        #expect(throws: YAMLError.self) { try YAML.parse("1: a\n\"1\": b\n") }
        var text = ""
        for i in 0..<100 { text += "k\(i): \(i)\n" }
        text += "k42: again\n"
        let e = try #require(throws: YAMLError.self) { try YAML.parse(text) }
        #expect(e.location?.line == 101)
        #expect(e.message.contains("line 43, column 1"))
    }

    @Test func manyKeysInOneMapStayFast() throws {
        var text = ""
        for i in 0..<50_000 { text += "key\(i): \(i)\n" }
        let clock = ContinuousClock()
        var doc: Value?
        let elapsed = try clock.measure { doc = try YAML.parseDocument(text) }
        #expect(doc?.mapValue?.count == 50_000)
        #expect(elapsed < .seconds(5))
    }

    @Test func selfReferentialAnchorIsAnUnknownAlias() throws {
        #expect(throws: YAMLError.self) { try YAML.parse("a: &a [*a]\n") }
    }
}

@Suite struct AliasDepthTests {
    /// Each anchor nests the previous one inside a few more levels: aliases must not build a
    /// tree deeper than the limit, which would overflow the stack of whoever walks it.
    @Test func aliasesCannotNestPastTheDepthLimit() throws {
        var text = "a0: &a0 [[[[x]]]]\n"
        for level in 1...10 { text += "a\(level): &a\(level) [[[[*a\(level - 1)]]]]\n" }
        let limits = YAMLLimits(maxDepth: 30)
        let e = try #require(throws: YAMLError.self) { try YAML.parse(text, file: "n.yaml", limits: limits) }
        #expect(e.message.contains("*a"))
        #expect(e.location?.file == "n.yaml")
        // The same structure within the limit parses, and its depth is what the aliases describe.
        let doc = try YAML.parseDocument(text, limits: YAMLLimits(maxDepth: 60))
        func depth(_ v: Value) -> Int {
            switch v.kind {
            case .list(let l): 1 + (l.map(depth).max() ?? 0)
            case .map(let m): 1 + (m.entries.map { depth($0.value) }.max() ?? 0)
            default: 0
            }
        }
        #expect(depth(doc) == 1 + 4 * 11)
    }
}
