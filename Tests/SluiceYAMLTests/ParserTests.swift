import SluiceCore
import Testing

@testable import SluiceYAML

@Suite struct ParserTests {
    @Test func multipleDocumentsSkippingEmptyOnes() throws {
        let docs = try YAML.parse("---\na: 1\n---\n# only a comment\n---\n- x\n---\n", file: "m.yaml")
        #expect(docs == [["a": 1], ["x"]])
        #expect(docs[1].location == SluiceCore.SourceLocation(file: "m.yaml", line: 6, column: 1))
    }

    @Test func commentsOnlyAndEmptyInputHaveNoDocuments() throws {
        #expect(try YAML.parse("# nothing here\n   \n").isEmpty)
        #expect(try YAML.parse("").isEmpty)
        #expect(try YAML.parse("---\n...\n").isEmpty)
    }

    @Test func explicitNullDocumentIsKept() throws {
        #expect(try YAML.parse("--- ~\n") == [nil])
    }

    @Test func singleDocumentConvenienceRequiresExactlyOne() throws {
        #expect(try YAML.parseDocument("a: 1") == ["a": 1])
        #expect(try YAML.parseDocument(Array("--- [1]\n".utf8), file: "s.yaml") == [1])
        let two = try #require(throws: YAMLError.self) { try YAML.parseDocument("a: 1\n---\nb: 2\n", file: "two.yaml") }
        #expect(two.message.contains("found 2"))
        #expect(two.location?.line == 3)
        #expect(throws: YAMLError.self) { try YAML.parseDocument("# none\n") }
    }

    @Test func locationsAreCompactAndKeepTheirFile() throws {
        // Every node stores its place in 12 bytes (file number, line, column): a node is 32 bytes,
        // a map entry 64, where a full SourceLocation per node made them 56 and 104.
        #expect(MemoryLayout<Value>.size <= 32)
        #expect(MemoryLayout<Mapping.Entry>.stride <= 64)
        let a = try YAML.parseDocument("k: [1, {x: y}]\n", file: "dir/a.yaml")
        let b = try YAML.parseDocument("\n\nk: 2\n", file: "dir/b.yaml")
        #expect(a[path: "k"]?[1]?["x"]?.location == SluiceCore.SourceLocation(file: "dir/a.yaml", line: 1, column: 12))
        #expect(b.mapValue?.entry("k")?.keyLocation == SluiceCore.SourceLocation(file: "dir/b.yaml", line: 3, column: 1))
        var moved = try #require(a["k"])
        moved.location = SluiceCore.SourceLocation(file: "elsewhere.yaml", line: 7, column: 9)
        #expect(moved.location == SluiceCore.SourceLocation(file: "elsewhere.yaml", line: 7, column: 9))
        moved.location = nil
        #expect(moved.location == nil && moved.nodeLocation.isNone)
        #expect(Value(.int(1), at: a.nodeLocation).location == a.location)
    }

    @Test func locationsOfNestedNodesAndKeys() throws {
        let text = """
            apiVersion: v1
            spec:
              job:
                args: ["--a", 'b']
                parallelism: 4
              containers:
                - name: main
                  image: "flink:2.0"
            """
        let doc = try YAML.parseDocument(text, file: "dir/dep.yaml")
        func loc(_ l: Int, _ c: Int) -> SluiceCore.SourceLocation { SluiceCore.SourceLocation(file: "dir/dep.yaml", line: l, column: c) }
        #expect(doc.location == loc(1, 1))
        #expect(doc.mapValue?.entry("apiVersion")?.keyLocation == loc(1, 1))
        #expect(doc["apiVersion"]?.location == loc(1, 13))
        #expect(doc.mapValue?.entry("spec")?.keyLocation == loc(2, 1))
        #expect(doc["spec"]?.location == loc(3, 3))
        #expect(doc[path: "spec", "job"]?.mapValue?.entry("args")?.keyLocation == loc(4, 5))
        #expect(doc[path: "spec", "job", "args"]?.location == loc(4, 11))
        #expect(doc[path: "spec", "job", "args"]?[1]?.location == loc(4, 19))
        #expect(doc[path: "spec", "job", "parallelism"]?.location == loc(5, 18))
        let container = try #require(doc[path: "spec", "containers"]?[0])
        #expect(doc[path: "spec", "containers"]?.location == loc(7, 5))
        #expect(container.location == loc(7, 7))
        #expect(container.mapValue?.entry("image")?.keyLocation == loc(8, 7))
        #expect(container["image"]?.location == loc(8, 14))
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let doc = try YAML.parseDocument("ключ: значение\n")
        #expect(doc["ключ"]?.location?.column == 7)
    }

    @Test func blockScalarsKeepTheirText() throws {
        let doc = try YAML.parseDocument(
            """
            literal: |
              line one
                indented
              line three
            keep: |+
              a

            folded: >
              a
              b
            """)
        #expect(doc["literal"] == "line one\n  indented\nline three\n")
        #expect(doc["keep"] == "a\n\n")
        // The text ends without a line break, so clip chomping adds none.
        #expect(doc["folded"] == "a b")
    }

    @Test func flowCollectionsAndQuotedEscapes() throws {
        let doc = try YAML.parseDocument(#"a: {x: 1, y: [true, "t\tab\u00e9"]}"#)
        // A plain `y` key is the boolean true in YAML 1.1, so its key text is "true", as with kubectl.
        #expect(doc == ["a": ["x": 1, "true": [true, "t\tabé"]]])
    }

    @Test func anchorsAndAliases() throws {
        let doc = try YAML.parseDocument(
            """
            base: &b
              image: flink
              tags: [a, b]
            copy: *b
            name: &n job
            again: *n
            """, file: "a.yaml")
        #expect(doc["copy"] == doc["base"])
        #expect(doc["again"] == "job")
        // An alias is located where it is used.
        #expect(doc["copy"]?.location == SluiceCore.SourceLocation(file: "a.yaml", line: 4, column: 7))
    }

    @Test func mergeKeysExplicitWinsAndEarlierMapsWin() throws {
        let doc = try YAML.parseDocument(
            """
            defaults: &d {cpu: 1, memory: 1g, image: base}
            extra: &e {cpu: 9, zone: eu, image: other}
            job:
              name: x
              <<: [*d, *e]
              cpu: 2
            single:
              <<: *e
              zone: us
            """)
        let job = try #require(doc["job"]?.mapValue)
        #expect(job["cpu"] == 2)
        #expect(job["memory"] == "1g")
        #expect(job["image"] == "base")
        #expect(job["zone"] == "eu")
        #expect(job.keys == ["name", "memory", "image", "zone", "cpu"])
        #expect(doc["single"] == ["cpu": 9, "zone": "us", "image": "other"])
    }

    @Test func mergeOfANonMapIsAnError() throws {
        let e = try #require(throws: YAMLError.self) { try YAML.parse("a:\n  <<: 1\n", file: "m.yaml") }
        #expect(e.message.contains("merge"))
        #expect(e.location?.line == 2)
        #expect(throws: YAMLError.self) { try YAML.parse("a:\n  <<: [{b: 1}, 2]\n") }
    }

    @Test func quotedMergeKeyIsAnOrdinaryKey() throws {
        let doc = try YAML.parseDocument("\"<<\": 1\n")
        #expect(doc["<<"] == 1)
    }

    @Test func aliasAsKey() throws {
        let doc = try YAML.parseDocument("k: &k name\n*k : v\n")
        #expect(doc["name"] == "v")
    }

    @Test func unknownAliasIsAnError() throws {
        let e = try #require(throws: YAMLError.self) { try YAML.parse("a: 1\nb: *nope\n", file: "u.yaml") }
        #expect(e.message.contains("*nope"))
        #expect(e.location == SluiceCore.SourceLocation(file: "u.yaml", line: 2, column: 4))
        // Anchors do not carry over to the next document.
        #expect(throws: YAMLError.self) { try YAML.parse("a: &x 1\n---\nb: *x\n") }
    }

    @Test func syntaxErrorHasProblemAndLocation() throws {
        let e = try #require(throws: YAMLError.self) {
            try YAML.parse("a: 1\nb: [1, 2\nc: 3\n", file: "s.yaml")
        }
        #expect(e.message.contains("YAML syntax error"))
        #expect(e.location?.file == "s.yaml")
        #expect(e.location?.line == 3)
        #expect(e.hint != nil)
        let indent = try #require(throws: YAMLError.self) { try YAML.parse("a:\n  b: 1\n c: 2\n", file: "i.yaml") }
        #expect(indent.location == SluiceCore.SourceLocation(file: "i.yaml", line: 3, column: 2))
        #expect(indent.description.hasPrefix("i.yaml:3:2: YAML syntax error"))
    }

    @Test func invalidUTF8IsAReaderError() throws {
        let bytes: [UInt8] = Array("a: ok\nb: ".utf8) + [0xFF, 0x0A]
        let e = try #require(throws: YAMLError.self) { try YAML.parseDocuments(bytes, file: "bad.yaml") }
        #expect(e.location == SluiceCore.SourceLocation(file: "bad.yaml", line: 2, column: 4))
    }
}
