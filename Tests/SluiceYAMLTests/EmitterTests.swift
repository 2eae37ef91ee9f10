import SluiceCore
import Testing

@testable import SluiceYAML

@Suite struct EmitterTests {
    @Test func kubernetesStyleLayout() {
        var metadata = Mapping()
        metadata["name"] = "job"
        metadata["labels"] = ["app": "x"]
        var container = Mapping()
        container["name"] = "main"
        container["args"] = ["--port", "8081"]
        var spec = Mapping()
        spec["containers"] = .list([.map(container)])
        spec["empty"] = .map(Mapping())
        spec["none"] = []
        spec["ratio"] = 1.0
        spec["script"] = "echo one\necho two\n"
        var root = Mapping()
        root["apiVersion"] = "v1"
        root["metadata"] = .map(metadata)
        root["spec"] = .map(spec)
        let expected = """
            apiVersion: v1
            metadata:
              name: job
              labels:
                app: x
            spec:
              containers:
                - name: main
                  args:
                    - --port
                    - "8081"
              empty: {}
              none: []
              ratio: 1.0
              script: |
                echo one
                echo two

            """
        #expect(YAML.emit(.map(root)) == expected)
    }

    @Test(arguments: [
        "yes", "No", "1.0", "null", "", "0x1F", " lead", "trail ", "a: b", "a #b", "#c", "- x", "&a", "*a", "!t", "<<",
        "'", "\"", "---", "~", "1e3", "@x", "ends:", "tab\tx",
    ])
    func stringsThatWouldChangeMeaningAreQuoted(_ s: String) throws {
        let text = YAML.emit(["k": .string(s)])
        #expect(text.hasPrefix("k: \""), "\(text)")
        #expect(try YAML.parseDocument(text)["k"] == .string(s))
    }

    @Test(arguments: ["plain", "java -Xmx1g", "-Xmx1g", "a:b", "a#b", "日本語", "s3://bucket/path", "v1.2.3"])
    func ordinaryStringsStayPlain(_ s: String) throws {
        #expect(YAML.emit(["k": .string(s)]) == "k: \(s)\n")
    }

    @Test func scalarsAndDoubles() throws {
        #expect(YAML.emit(1.0) == "1.0\n")
        #expect(YAML.emit(.double(.infinity)) == ".inf\n")
        #expect(YAML.emit(.double(-.infinity)) == "-.inf\n")
        #expect(YAML.emit(.double(.nan)) == ".nan\n")
        #expect(YAML.emit(nil) == "null\n")
        #expect(YAML.emit([]) == "[]\n")
        #expect(YAML.emit([:]) == "{}\n")
        for d in [0.1, 1e16, 1e-5, Double.leastNonzeroMagnitude, 1.7976931348623157e308, -2.5] {
            #expect(try YAML.parseDocument(YAML.emit(.double(d))) == .double(d))
        }
    }

    @Test func nestedListsAndMapsInLists() throws {
        let v: Value = [[1, [2, 3]], ["a": [["b": 1]], "c": [:]], []]
        let text = YAML.emit(v)
        #expect(text == "- - 1\n  - - 2\n    - 3\n- a:\n    - b: 1\n  c: {}\n- []\n")
        #expect(try YAML.parseDocument(text) == v)
    }

    @Test func literalBlockChomping() throws {
        #expect(YAML.emit(["k": "a\nb"]) == "k: |-\n  a\n  b\n")
        #expect(YAML.emit(["k": "a\n\nb\n\n"]) == "k: |+\n  a\n\n  b\n\n")
        for s in ["a\nb", "a\nb\n", "a\nb\n\n\n", "a\n\n  c\n", "x\n \ny"] {
            #expect(try YAML.parseDocument(YAML.emit(["k": .string(s), "after": 1]))["k"] == .string(s))
        }
    }

    @Test func multipleDocuments() throws {
        let docs: [Value] = [["a": 1], "text", ["x"]]
        let text = YAML.emit(documents: docs)
        #expect(text == "a: 1\n---\ntext\n---\n- x\n")
        #expect(try YAML.parse(text) == docs)
    }

    @Test func longKeysUseTheExplicitForm() throws {
        let key = String(repeating: "k", count: 2000)
        let text = YAML.emit(.map(Mapping([Mapping.Entry(key: key, value: ["a": 1])])))
        #expect(text.hasPrefix("? "))
        #expect(try YAML.parseDocument(text)[key] == ["a": 1])
    }

    @Test func roundTripProperty() throws {
        var generator = ValueGenerator(rng: SeededGenerator(seed: 0x5EED_CAFE))
        for iteration in 0..<3000 {
            let value = generator.value(depth: 4)
            let text = YAML.emit(value)
            let parsed: Value
            do {
                parsed = try YAML.parseDocument(text)
            } catch {
                Issue.record("iteration \(iteration): \(error)\n--- emitted ---\n\(text)")
                return
            }
            guard parsed == value else {
                Issue.record("iteration \(iteration): round trip changed the value\n--- emitted ---\n\(text)")
                return
            }
        }
    }

    @Test func multiDocumentRoundTripProperty() throws {
        var generator = ValueGenerator(rng: SeededGenerator(seed: 42))
        for _ in 0..<200 {
            // A document that is null would be indistinguishable from an empty one only if empty; `null` is written out.
            let docs = (0..<3).map { _ in generator.value(depth: 3) }
            #expect(try YAML.parse(YAML.emit(documents: docs)) == docs)
        }
    }
}
