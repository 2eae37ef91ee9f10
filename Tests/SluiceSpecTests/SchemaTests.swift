import Foundation
import SluiceCore
import SluiceSpec
import SluiceYAML
import Testing

@Suite struct OpenAPISchemaTests {
    /// A small CRD-like schema in the shape of the Flink operator's.
    static let schemaYAML = """
        type: object
        properties:
          spec:
            type: object
            required: [job]
            properties:
              job:
                type: object
                required: [jarURI]
                properties:
                  jarURI: {type: string}
                  parallelism: {type: integer, format: int32, minimum: 1}
                  upgradeMode: {type: string, enum: [savepoint, last-state, stateless]}
                  args: {type: array, items: {type: string}}
              taskManager:
                type: object
                properties:
                  replicas: {type: integer}
                  resource:
                    type: object
                    properties:
                      cpu: {type: number}
                      memory: {type: string}
              flinkConfiguration:
                type: object
                additionalProperties: {type: string}
              extra:
                x-kubernetes-preserve-unknown-fields: true
        """

    static let schema: OpenAPISchema = {
        // A test fixture: a parse failure here is a bug in the literal above.
        try! OpenAPISchema(try! YAML.parseDocument(schemaYAML, file: "schema.yaml"))
    }()

    func problems(_ yaml: String) throws -> [Diagnostic] {
        Self.schema.validate(try YAML.parseDocument(yaml, file: "job.yaml"))
    }

    @Test func aValidObjectHasNoProblems() throws {
        let diagnostics = try problems("""
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkDeployment
            metadata: {name: orders, labels: {app: orders}}
            spec:
              job: {jarURI: "local:///job.jar", parallelism: 2, upgradeMode: savepoint, args: [a, b]}
              taskManager: {replicas: 1, resource: {cpu: 1, memory: 2048m}}
              flinkConfiguration: {taskmanager.numberOfTaskSlots: "2"}
              extra: {anything: [1, {goes: true}]}
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
    }

    @Test func unsupportedEnumValueListsTheOptions() throws {
        let d = try problems("spec:\n  job:\n    jarURI: x\n    upgradeMode: foo\n")
        #expect(d.map(\.message) == [#"spec.job.upgradeMode: unsupported value "foo"; expected one of: savepoint, last-state, stateless"#])
        #expect(d.first?.location == SourceLocation(file: "job.yaml", line: 4, column: 18))
        #expect(d.first?.severity == .error)
    }

    @Test func typeMismatchNamesBothTypes() throws {
        let d = try problems("spec:\n  job: {jarURI: x}\n  taskManager:\n    resource:\n      memory: 2048\n")
        #expect(d.map(\.message) == ["spec.taskManager.resource.memory: expected string, found integer"])
        #expect(d.first?.location == SourceLocation(file: "job.yaml", line: 5, column: 15))
        #expect(d.first?.hint?.contains("quote") == true)
    }

    @Test func unknownFieldPointsAtTheKeyAndSuggestsTheClosestName() throws {
        let d = try problems("spec:\n  jobb:\n    jarURI: x\n  job: {jarURI: z}\n  taskmanager: {}\n  zzzzzz: 1\n")
        #expect(d.map(\.message) == [
            #"spec.jobb: unknown field "jobb" (did you mean "job"?)"#,
            #"spec.taskmanager: unknown field "taskmanager" (did you mean "taskManager"?)"#,
            #"spec.zzzzzz: unknown field "zzzzzz""#,
        ])
        #expect(d[0].location == SourceLocation(file: "job.yaml", line: 2, column: 3))
        #expect(d[2].hint == "known fields: extra, flinkConfiguration, job, taskManager")
    }

    @Test func missingRequiredFieldIsReportedAtTheParentMap() throws {
        let d = try problems("spec:\n  job:\n    parallelism: 2\n")
        #expect(d.map(\.message) == ["spec.job.jarURI: required field is missing"])
        #expect(d.first?.location == SourceLocation(file: "job.yaml", line: 3, column: 5))
    }

    @Test func numberTypesFollowKubernetes() throws {
        let schema = try OpenAPISchema([
            "type": "object",
            "properties": [
                "i": ["type": "integer"], "n": ["type": "number"],
                "ios": ["x-kubernetes-int-or-string": true, "anyOf": [["type": "integer"], ["type": "string"]]],
                "b": ["type": "boolean"],
            ],
        ], resourceRoot: false)
        #expect(schema.validate(["i": 3, "n": 3, "ios": 3, "b": true]).isEmpty)
        #expect(schema.validate(["n": 2.5, "ios": "50%"]).isEmpty)
        #expect(schema.validate(["i": 3.0]).map(\.message) == ["i: expected integer, found number"])
        #expect(schema.validate(["i": "3"]).map(\.message) == ["i: expected integer, found string"])
        #expect(schema.validate(["ios": 1.5]).map(\.message) == ["ios: expected integer or string, found number"])
        #expect(schema.validate(["ios": true]).map(\.message) == ["ios: expected integer or string, found boolean"])
        #expect(schema.validate(["b": "true"]).map(\.message) == ["b: expected boolean, found string"])
    }

    @Test func nullsArePrunedUnlessRequiredAndAllowedWhereNullable() throws {
        let schema = try OpenAPISchema([
            "type": "object", "required": ["must"],
            "properties": [
                "must": ["type": "string"], "optional": ["type": "string"],
                "maybe": ["type": "string", "nullable": true],
                "list": ["type": "array", "items": ["type": "string"]],
            ],
        ], resourceRoot: false)
        #expect(schema.validate(["must": "x", "optional": nil, "maybe": nil]).isEmpty)
        #expect(schema.validate(["must": nil]).map(\.message) == ["must: required field must not be null"])
        #expect(schema.validate(["must": "x", "list": ["a", nil]]).map(\.message) == ["list[1]: expected string, found null"])
        #expect(schema.validate(nil).map(\.message) == ["<root>: expected map, found null"])
    }

    @Test func valueConstraints() throws {
        let schema = try OpenAPISchema(try YAML.parseDocument("""
            type: object
            properties:
              port: {type: integer, format: int32, minimum: 1, maximum: 65535}
              ratio: {type: number, minimum: 0, exclusiveMinimum: true, maximum: 1, exclusiveMaximum: true}
              step: {type: integer, multipleOf: 5}
              big: {type: integer, format: int32}
              name: {type: string, minLength: 2, maxLength: 5, pattern: "^[a-z]+$"}
              tags: {type: array, minItems: 1, maxItems: 2, items: {type: string}}
              env: {type: object, minProperties: 1, maxProperties: 1, additionalProperties: true}
            """), resourceRoot: false)
        #expect(schema.validate(["port": 80, "ratio": 0.5, "step": 10, "big": 7, "name": "ab", "tags": ["x"], "env": ["A": 1]]).isEmpty)
        let d = schema.validate([
            "port": 0, "ratio": 1, "step": 7, "big": 3_000_000_000, "name": "Abcdef", "tags": [], "env": ["A": 1, "B": 2],
        ]).map(\.message)
        #expect(d == [
            "port: must be at least 1, found 0",
            "ratio: must be less than 1, found 1",
            "step: must be a multiple of 5, found 7",
            "big: 3000000000 is out of range for a 32-bit integer (-2147483648 to 2147483647)",
            "name: must be at most 5 characters long, found 6",
            #"name: "Abcdef" does not match the pattern ^[a-z]+$"#,
            "tags: must have at least 1 item, found 0",
            "env: must have at most 1 field, found 2",
        ])
        #expect(schema.validate(["port": 70000, "ratio": 0]).map(\.message) == [
            "port: must be at most 65535, found 70000", "ratio: must be greater than 0, found 0",
        ])
        #expect(schema.validate(["name": "é"]).map(\.message) == [
            "name: must be at least 2 characters long, found 1", #"name: "é" does not match the pattern ^[a-z]+$"#,
        ])
    }

    /// The API server reads `pattern` with Go's regexp, which is RE2 syntax
    /// (https://github.com/google/re2/wiki/Syntax): Sluice runs it with RE2 itself, so a pattern
    /// means what it means to Kubernetes, and no value makes a match backtrack.
    @Test func patternsAreRE2() throws {
        let schema = try OpenAPISchema(try YAML.parseDocument(#"""
            type: object
            properties:
              named: {type: string, pattern: "^(?P<word>[a-z]+)-\\pN+$"}
              nested: {type: string, pattern: "^(a+)+$"}
            """#), resourceRoot: false)
        #expect(schema.validate(["named": "job-42", "nested": "aaaa"]).isEmpty)
        // 20,000 a's and a '!': exponential for a backtracking engine, linear for RE2.
        let hostile = String(repeating: "a", count: 20_000) + "!"
        #expect(schema.validate(["named": "Job-42", "nested": .string(hostile)]).map(\.message) == [
            #"named: "Job-42" does not match the pattern ^(?P<word>[a-z]+)-\pN+$"#,
            "nested: \"\(hostile)\" does not match the pattern ^(a+)+$",
        ])
        for (pattern, reason) in [(#"(a)\\1"#, #"invalid escape sequence: \1"#), ("(?=a)", "invalid perl operator: (?=")] {
            let error = try #require(throws: SchemaError.self) {
                try OpenAPISchema(try YAML.parseDocument("type: string\npattern: \"\(pattern)\"\n", file: "crd.yaml"))
            }
            #expect(error.message.contains("invalid regular expression"), "\(error.message)")
            #expect(error.message.contains(reason), "\(error.message)")
            #expect(error.location?.file == "crd.yaml" && error.location?.line == 2)
        }
    }

    @Test func listTypesRejectDuplicates() throws {
        let schema = try OpenAPISchema([
            "type": "object",
            "properties": [
                "finalizers": ["type": "array", "x-kubernetes-list-type": "set", "items": ["type": "string"]],
                "ports": [
                    "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["port", "protocol"],
                    "items": ["type": "object", "properties": ["port": ["type": "integer"], "protocol": ["type": "string"]]],
                ],
                "atomic": ["type": "array", "items": ["type": "string"]],
            ],
        ], resourceRoot: false)
        #expect(schema.validate(["finalizers": ["a", "b"], "atomic": ["a", "a"],
                                 "ports": [["port": 80, "protocol": "TCP"], ["port": 80, "protocol": "UDP"]]]).isEmpty)
        #expect(schema.validate(["finalizers": ["a", "b", "a"],
                                 "ports": [["port": 80, "protocol": "TCP"], ["port": 80, "protocol": "TCP"]]]).map(\.message) == [
            "finalizers[2]: duplicate entry a (first at index 0)",
            "ports[1]: duplicate entry with port=80, protocol=TCP (first at index 0)",
        ])
    }

    @Test func additionalPropertiesAndPreservedUnknownFields() throws {
        let d = try problems("spec:\n  job: {jarURI: x}\n  flinkConfiguration:\n    a.b: 1\n  extra: {free: form}\n")
        #expect(d.map(\.message) == ["spec.flinkConfiguration[a.b]: expected string, found integer"])
        let closed = try OpenAPISchema(["type": "object", "additionalProperties": false], resourceRoot: false)
        #expect(closed.validate(["x": 1]).map(\.message) == [#"x: unknown field "x""#])
        let open = try OpenAPISchema(["type": "object", "additionalProperties": true], resourceRoot: false)
        #expect(open.validate(["x": ["y": 1]]).isEmpty)
    }

    @Test func combinators() throws {
        let schema = try OpenAPISchema([
            "type": "object",
            "properties": [
                "a": ["type": "integer", "allOf": [["minimum": 1], ["maximum": 10]]],
                "b": ["type": "object", "properties": ["x": ["type": "string"], "y": ["type": "string"]],
                      "anyOf": [["required": ["x"]], ["required": ["y"]]]],
                "c": ["type": "integer", "oneOf": [["minimum": 5], ["maximum": 7]]],
                "d": ["type": "string", "not": ["enum": ["forbidden"]]],
            ],
        ], resourceRoot: false)
        #expect(schema.validate(["a": 5, "b": ["y": "1"], "c": 3, "d": "fine"]).isEmpty)
        let d = schema.validate(["a": 11, "b": [:], "c": 6, "d": "forbidden"]).map(\.message)
        #expect(d.count == 4)
        #expect(d[0] == "a: must be at most 10, found 11")
        #expect(d[1].hasPrefix("b: must match at least one of the 2 allowed schemas (anyOf); for example, b.x: required field is missing"))
        #expect(d[2] == "c: must match exactly one of the 2 allowed schemas (oneOf), matches 2")
        #expect(d[3] == #"d: must not match the schema given under "not""#)
    }

    @Test func resourceRootAndEmbeddedResourcesKnowObjectMeta() throws {
        let d = try problems("metadata:\n  name: orders\n  lables: {app: x}\nspec:\n  job: {jarURI: x}\n")
        #expect(d.map(\.message) == [#"metadata.lables: unknown field "lables" (did you mean "labels"?)"#])
        #expect(d.first?.location == SourceLocation(file: "job.yaml", line: 3, column: 3))
        let labels = try problems("metadata:\n  labels: {app: 1}\nspec:\n  job: {jarURI: x}\n")
        #expect(labels.map(\.message) == ["metadata.labels.app: expected string, found integer"])

        let embedded = try OpenAPISchema([
            "type": "object",
            "properties": ["template": ["type": "object", "x-kubernetes-embedded-resource": true,
                                        "properties": ["spec": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]]]],
        ], resourceRoot: false)
        #expect(embedded.validate(["template": ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"], "spec": ["a": 1]]]).isEmpty)
        #expect(embedded.validate(["template": ["spec": [:]]]).map(\.message) == [
            "template.apiVersion: required field is missing", "template.kind: required field is missing",
        ])
        #expect(embedded.topLevelFields == ["template"])
    }

    @Test func pathPrefixAndLocationFallback() throws {
        // Values built in code have no locations: diagnostics fall back to the nearest located ancestor.
        var spec: Value = ["job": ["jarURI": 1]]
        spec.location = SourceLocation(file: "built.yaml", line: 7, column: 1)
        let schema = try OpenAPISchema(try YAML.parseDocument(Self.schemaYAML)["properties"]!["spec"]!, resourceRoot: false)
        let d = schema.validate(spec, at: "spec")
        #expect(d.map(\.message) == ["spec.job.jarURI: expected string, found integer"])
        #expect(d.first?.location == SourceLocation(file: "built.yaml", line: 7, column: 1))
    }

    @Test(arguments: [
        ("type: object\nproperties:\n  a: {type: strin}\n", "openAPIV3Schema.properties.a.type: unsupported type \"strin\"", 3),
        ("type: object\nproperties: [a]\n", "openAPIV3Schema.properties: expected a map of schemas", 2),
        ("type: string\npattern: \"([\"\n", "openAPIV3Schema.pattern: invalid regular expression", 2),
        ("type: array\nx-kubernetes-list-type: map\n", "x-kubernetes-list-map-keys: a list of type map needs", 1),
        ("type: object\nrequired: a\n", "openAPIV3Schema.required: expected a list of property names", 2),
        // Every step of a nested node's path: items, properties, anyOf[i], additionalProperties, not.
        ("type: array\nitems:\n  type: object\n  properties:\n    b: {type: nope}\n",
         "openAPIV3Schema.items.properties.b.type: unsupported type \"nope\"", 5),
        ("anyOf:\n  - {type: string}\n  - {type: nope}\n", "openAPIV3Schema.anyOf[1].type: unsupported type \"nope\"", 3),
        ("type: object\nadditionalProperties:\n  minLength: -1\n",
         "openAPIV3Schema.additionalProperties.minLength: expected a non-negative integer", 3),
        ("not:\n  maxItems: x\n", "openAPIV3Schema.not.maxItems: expected a non-negative integer", 2),
    ])
    func malformedSchemasAreRejectedWithALocation(_ yaml: String, _ message: String, _ line: Int) throws {
        let error = try #require(throws: SchemaError.self) {
            try OpenAPISchema(try YAML.parseDocument(yaml, file: "crd.yaml"))
        }
        #expect(error.message.contains(message), "\(error.message)")
        #expect(error.location?.line == line)
    }
}

/// The Flink Kubernetes Operator's CRDs shipped with Sluice, read straight from the source tree.
@Suite struct FlinkCRDSchemaTests {
    static let crdDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/SluiceSpec/CRDs")

    static func schema(_ file: String) throws -> OpenAPISchema {
        let data = try Data(contentsOf: crdDirectory.appendingPathComponent(file))
        let crd = try YAML.parseDocument([UInt8](data), file: file)
        let version = try #require(crd[path: "spec", "versions"]?.listValue?.first { $0["name"] == "v1beta1" })
        return try OpenAPISchema(try #require(version[path: "schema", "openAPIV3Schema"]))
    }

    static let deploymentYAML = """
        apiVersion: flink.apache.org/v1beta1
        kind: FlinkDeployment
        metadata:
          name: orders
          labels: {app: orders}
        spec:
          image: flink:2.1
          flinkVersion: v2_1
          serviceAccount: flink
          flinkConfiguration:
            taskmanager.numberOfTaskSlots: "2"
            state.checkpoints.dir: s3://bucket/checkpoints
          jobManager:
            resource: {memory: 2048m, cpu: 1}
          taskManager:
            replicas: 2
            resource: {memory: 2048m, cpu: 0.5}
            podTemplate:
              spec:
                containers:
                  - name: flink-main-container
                    env: [{name: A, value: b}]
                    resources: {limits: {memory: 3Gi, cpu: 2}}
          job:
            jarURI: local:///opt/flink/usrlib/orders.jar
            parallelism: 4
            upgradeMode: savepoint
            state: running
            args: [--input, kafka]
        """

    /// The binary reads each CRD from its JSON form (CSluiceCRDs). That file must be the operator's
    /// YAML, as Sluice reads it, written by `JSON.encodedBytes`: the same document, no stale copy.
    /// `SLUICE_WRITE_CRD_JSON=1 swift test --filter bundledJSONIsTheOperatorsYAML` writes it afresh
    /// after a CRD is updated.
    @Test(arguments: ["flinkdeployments.flink.apache.org-v1.yml", "flinksessionjobs.flink.apache.org-v1.yml",
                      "flinkstatesnapshots.flink.apache.org-v1.yml", "flinkbluegreendeployments.flink.apache.org-v1.yml"])
    func bundledJSONIsTheOperatorsYAML(file: String) throws {
        let yaml = try YAML.parseDocument([UInt8](try Data(contentsOf: Self.crdDirectory.appendingPathComponent(file))), file: file)
        let expected = JSON.encodedBytes(yaml) + [UInt8(ascii: "\n")]
        let jsonURL = Self.crdDirectory.appendingPathComponent(FlinkSchemas.jsonFile(of: file))
        if ProcessInfo.processInfo.environment["SLUICE_WRITE_CRD_JSON"] == "1" {
            try Data(expected).write(to: jsonURL)
        }
        let bundled = [UInt8](try Data(contentsOf: jsonURL))
        let same = bundled == expected  // compared apart: a failed #expect would print every byte
        #expect(same, "\(jsonURL.lastPathComponent) is not \(file) as JSON: run this test with SLUICE_WRITE_CRD_JSON=1")
        // Equal as values too, integers and doubles told apart: what validation reads is the YAML.
        #expect(try JSON.decode(bundled) == yaml)
    }

    /// The schemas the binary compiles are the YAML CRDs' schemas.
    @Test func theBinarysSchemasAreTheYAMLCRDsSchemas() throws {
        let yamlSchema = try Self.schema("flinkdeployments.flink.apache.org-v1.yml")
        let bundled = try #require(FlinkSchemas.schema(for: "FlinkDeployment"))
        #expect(bundled.topLevelFields == yamlSchema.topLevelFields)
        let document = try YAML.parseDocument(Self.deploymentYAML.replacingOccurrences(of: "replicas: 2", with: "replicas: two"))
        #expect(bundled.validate(document).map(\.message) == yamlSchema.validate(document).map(\.message))
        #expect(FlinkSchemas.specReplicasPath(for: "FlinkDeployment") == ".spec.taskManager.replicas")
    }

    @Test func allBundledCRDsCompile() throws {
        for file in ["flinkdeployments.flink.apache.org-v1.yml", "flinksessionjobs.flink.apache.org-v1.yml",
                     "flinkstatesnapshots.flink.apache.org-v1.yml", "flinkbluegreendeployments.flink.apache.org-v1.yml"] {
            let schema = try Self.schema(file)
            #expect(schema.topLevelFields.contains("spec"), "\(file)")
            #expect(schema.topLevelFields.contains("metadata"), "\(file)")
        }
    }

    @Test func aRealisticFlinkDeploymentIsValid() throws {
        let schema = try Self.schema("flinkdeployments.flink.apache.org-v1.yml")
        let d = schema.validate(try YAML.parseDocument(Self.deploymentYAML, file: "jobs/orders.yaml"))
        #expect(d.isEmpty, "\(d)")
    }

    @Test func typicalMistakesInAFlinkDeployment() throws {
        let schema = try Self.schema("flinkdeployments.flink.apache.org-v1.yml")
        var text = Self.deploymentYAML
        text = text.replacingOccurrences(of: "upgradeMode: savepoint", with: "upgradeMode: foo")
        text = text.replacingOccurrences(of: "replicas: 2", with: "replicas: two")
        text = text.replacingOccurrences(of: "  job:\n", with: "  jobb:\n")
        text = text.replacingOccurrences(of: "name: flink-main-container", with: "nme: flink-main-container")
        let d = schema.validate(try YAML.parseDocument(text, file: "jobs/orders.yaml")).map(\.message)
        #expect(d.contains("spec.taskManager.replicas: expected integer, found string"), "\(d)")
        #expect(d.contains(#"spec.jobb: unknown field "jobb" (did you mean "job"?)"#), "\(d)")
        #expect(d.contains(#"spec.taskManager.podTemplate.spec.containers[0].nme: unknown field "nme" (did you mean "name"?)"#), "\(d)")
        // The enum error is under the misspelt (unknown) key, so it is not checked: only the typo is reported.
        #expect(!d.contains { $0.contains("upgradeMode") })
        #expect(d.count == 3, "\(d)")

        let enumText = Self.deploymentYAML.replacingOccurrences(of: "upgradeMode: savepoint", with: "upgradeMode: foo")
        #expect(schema.validate(try YAML.parseDocument(enumText)).map(\.message)
            == [#"spec.job.upgradeMode: unsupported value "foo"; expected one of: last-state, savepoint, stateless"#])
    }
}
