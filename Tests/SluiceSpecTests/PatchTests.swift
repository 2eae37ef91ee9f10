import SluiceCore
import SluiceSpec
import SluiceYAML
import Testing

@Suite struct MergePatchTests {
    /// RFC 7386, Appendix A: target, patch, result.
    static let rfcExamples: [(String, String, String)] = [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"a":"foo"}"#, #"null"#, #"null"#),
        (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ]

    @Test(arguments: rfcExamples.indices)
    func rfc7386Examples(_ index: Int) throws {
        let (target, patch, result) = Self.rfcExamples[index]
        let merged = MergePatch.apply(try JSON.decode(patch), to: try JSON.decode(target))
        #expect(merged == (try JSON.decode(result)), "example \(index + 1)")
    }

    @Test func keepsOrderOfExistingKeysAndAppendsNewOnes() throws {
        let merged = MergePatch.apply(["c": 3, "a": 10], to: ["a": 1, "b": 2])
        #expect(merged.mapValue?.keys == ["a", "b", "c"])
        #expect(merged["a"] == 10)
    }

    @Test func untouchedNodesKeepTargetLocationsAndPatchedNodesTakePatchLocations() throws {
        let target = try YAML.parseDocument("spec:\n  job:\n    parallelism: 2\n    jarURI: local:///job.jar\n", file: "job.yaml")
        let patch = try YAML.parseDocument("spec:\n  job:\n    parallelism: 8\n    state: suspended\n", file: "env.yaml")
        let merged = MergePatch.apply(patch, to: target)
        #expect(merged[path: "spec", "job", "jarURI"]?.location?.file == "job.yaml")
        #expect(merged[path: "spec", "job", "parallelism"]?.location == SourceLocation(file: "env.yaml", line: 3, column: 18))
        #expect(merged[path: "spec", "job", "parallelism"] == 8)
        #expect(merged[path: "spec", "job"]?.location?.file == "job.yaml")
        let added = try #require(merged[path: "spec", "job"]?.mapValue?.entry("state"))
        #expect(added.keyLocation == SourceLocation(file: "env.yaml", line: 4, column: 5))
    }
}

@Suite struct JSONPatchTests {
    /// RFC 6902, Appendix A examples that succeed: document, patch, result.
    static let rfcSuccesses: [(String, String, String)] = [
        // A.1 Adding an Object Member
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux"}]"#, #"{"baz":"qux","foo":"bar"}"#),
        // A.2 Adding an Array Element
        (#"{"foo":["bar","baz"]}"#, #"[{"op":"add","path":"/foo/1","value":"qux"}]"#, #"{"foo":["bar","qux","baz"]}"#),
        // A.3 Removing an Object Member
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"remove","path":"/baz"}]"#, #"{"foo":"bar"}"#),
        // A.4 Removing an Array Element
        (#"{"foo":["bar","qux","baz"]}"#, #"[{"op":"remove","path":"/foo/1"}]"#, #"{"foo":["bar","baz"]}"#),
        // A.5 Replacing a Value
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"replace","path":"/baz","value":"boo"}]"#, #"{"baz":"boo","foo":"bar"}"#),
        // A.6 Moving a Value
        (#"{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}"#,
         #"[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]"#,
         #"{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}"#),
        // A.7 Moving an Array Element
        (#"{"foo":["all","grass","cows","eat"]}"#, #"[{"op":"move","from":"/foo/1","path":"/foo/3"}]"#,
         #"{"foo":["all","cows","eat","grass"]}"#),
        // A.8 Testing a Value: Success
        (#"{"baz":"qux","foo":["a",2,"c"]}"#,
         #"[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]"#,
         #"{"baz":"qux","foo":["a",2,"c"]}"#),
        // A.10 Adding a Nested Member Object
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/child","value":{"grandchild":{}}}]"#,
         #"{"foo":"bar","child":{"grandchild":{}}}"#),
        // A.11 Ignoring Unrecognized Elements
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux","xyz":123}]"#, #"{"foo":"bar","baz":"qux"}"#),
        // A.14 ~ Escape Ordering
        (#"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":10}]"#, #"{"/":9,"~1":10}"#),
        // A.16 Adding an Array Value
        (#"{"foo":["bar"]}"#, #"[{"op":"add","path":"/foo/-","value":["abc","def"]}]"#, #"{"foo":["bar",["abc","def"]]}"#),
        // Copy, replacing the root, and numbers that are equal by value.
        (#"{"a":{"b":1}}"#, #"[{"op":"copy","from":"/a","path":"/c"}]"#, #"{"a":{"b":1},"c":{"b":1}}"#),
        (#"{"a":1}"#, #"[{"op":"replace","path":"","value":[1]}]"#, #"[1]"#),
        (#"{"a":1.0}"#, #"[{"op":"test","path":"/a","value":1}]"#, #"{"a":1.0}"#),
    ]

    @Test(arguments: rfcSuccesses.indices)
    func rfc6902Examples(_ index: Int) throws {
        let (document, patch, result) = Self.rfcSuccesses[index]
        let patched = try JSONPatch(try JSON.decode(patch)).apply(to: try JSON.decode(document))
        #expect(patched == (try JSON.decode(result)), "example \(index)")
    }

    /// RFC 6902 A.9, A.12, A.15 and more: each must fail with a reason naming the problem.
    static let failures: [(String, String, String)] = [
        (#"{"baz":"qux"}"#, #"[{"op":"test","path":"/baz","value":"bar"}]"#, #"test failed: expected "bar", found "qux""#),
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz/bat","value":"qux"}]"#, "/baz does not exist"),
        (#"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":"10"}]"#, #"expected "10", found 10"#),
        (#"{"spec":{"job":{}}}"#, #"[{"op":"replace","path":"/spec/job/parallelism","value":2}]"#,
         "path /spec/job/parallelism does not exist"),
        (#"{"a":[1,2]}"#, #"[{"op":"add","path":"/a/3","value":0}]"#, "out of range for a list of 2 elements"),
        (#"{"a":[1,2]}"#, #"[{"op":"add","path":"/a/01","value":0}]"#, "\"01\" is not a list index"),
        (#"{"a":[1,2]}"#, #"[{"op":"remove","path":"/a/2"}]"#, "path /a/2 does not exist"),
        (#"{"a":[1,2]}"#, #"[{"op":"remove","path":"/a/-"}]"#, "path /a/- does not exist"),
        (#"{"a":{"b":1}}"#, #"[{"op":"move","from":"/a","path":"/a/b/c"}]"#, "cannot move /a into its own child /a/b/c"),
        (#"{"a":1}"#, #"[{"op":"copy","from":"/x","path":"/y"}]"#, "path /x does not exist"),
        (#"{"a":"text"}"#, #"[{"op":"add","path":"/a/b","value":1}]"#, "cannot add a member to a string at /a"),
        (#"{"a":1}"#, #"[{"op":"remove","path":""}]"#, "cannot remove the whole document"),
    ]

    @Test(arguments: failures.indices)
    func failingOperationsSayWhy(_ index: Int) throws {
        let (document, patch, reason) = Self.failures[index]
        let patchValue = try JSON.decode(patch)
        let error = try #require(throws: JSONPatchError.self) {
            try JSONPatch(patchValue).apply(to: try JSON.decode(document))
        }
        #expect(error.operationIndex == 0)
        #expect(error.message.hasPrefix("operation 0: "))
        #expect(error.message.contains(reason), "\(error.message)")
    }

    @Test(arguments: [
        (#"{"op":"add","path":"/a"}"#, "add needs \"value\""),
        (#"{"op":"move","path":"/a"}"#, "move needs \"from\""),
        (#"{"path":"/a"}"#, "missing \"op\""),
        (#"{"op":"merge","path":"/a"}"#, "unsupported op \"merge\"; expected one of: add, remove, replace, move, copy, test"),
        (#"{"op":"remove","path":"a/b"}"#, "must be empty or start with '/'"),
        (#"{"op":"remove","path":"/a~2"}"#, "'~' must be followed by '0' or '1'"),
        (#"{"op":"remove","path":3}"#, "\"path\" must be a string"),
        (#""remove /a""#, "expected a map"),
    ])
    func malformedOperationsAreRejected(_ operation: String, _ reason: String) throws {
        let ops = Value.list([["op": "test", "path": "", "value": [:]], try JSON.decode(operation)])
        let error = try #require(throws: JSONPatchError.self) { try JSONPatch(ops) }
        #expect(error.operationIndex == 1)
        #expect(error.message.contains(reason), "\(error.message)")
    }

    @Test func aPatchMustBeAList() throws {
        let error = try #require(throws: JSONPatchError.self) { try JSONPatch(["op": "add"]) }
        #expect(error.operationIndex == nil)
        #expect(error.message.contains("must be a list of operations"))
    }

    @Test func errorsNameTheOperationIndexAndSourceLocationAndLeaveTheInputUnchanged() throws {
        let patchYAML = """
            - op: replace
              path: /spec/job/parallelism
              value: 4
            - op: remove
              path: /spec/job/savepointTriggerNonce
            """
        let patch = try JSONPatch(try YAML.parseDocument(patchYAML, file: "environments/prod.yaml"))
        let original: Value = ["spec": ["job": ["parallelism": 2]]]
        var document = original
        let error = try #require(throws: JSONPatchError.self) { document = try patch.apply(to: document) }
        #expect(error.operationIndex == 1)
        #expect(error.location == SourceLocation(file: "environments/prod.yaml", line: 4, column: 3))
        #expect(error.message == "operation 1: remove /spec/job/savepointTriggerNonce: path /spec/job/savepointTriggerNonce does not exist")
        #expect(error.description.hasPrefix("environments/prod.yaml:4:3: operation 1"))
        #expect(document == original)
        #expect(document[path: "spec", "job", "parallelism"] == 2)
    }

    @Test func addedValuesCarryThePatchLocations() throws {
        let patch = try JSONPatch(try YAML.parseDocument("- op: add\n  path: /spec/image\n  value: flink:2.1\n", file: "p.yaml"))
        let result = try patch.apply(to: ["spec": ["job": [:]]])
        #expect(result[path: "spec", "image"]?.location == SourceLocation(file: "p.yaml", line: 3, column: 10))
        #expect(result[path: "spec"]?.mapValue?.entry("image")?.keyLocation == SourceLocation(file: "p.yaml", line: 2, column: 9))
    }

    @Test func pointersRoundTripTheirEscapes() throws {
        let pointer = try JSONPointer(parsing: "/metadata/labels/app.kubernetes.io~1name/~0x")
        #expect(pointer.tokens == ["metadata", "labels", "app.kubernetes.io/name", "~x"])
        #expect(pointer.description == "/metadata/labels/app.kubernetes.io~1name/~0x")
        #expect(try JSONPointer(parsing: "").tokens.isEmpty)
        #expect(try JSONPointer(parsing: "/").tokens == [""])
        let doc: Value = ["metadata": ["labels": ["app.kubernetes.io/name": "orders"]]]
        #expect(try JSONPointer(parsing: "/metadata/labels/app.kubernetes.io~1name").resolve(in: doc) == "orders")
    }
}
