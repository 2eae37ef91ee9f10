import SluiceCore
import SluiceSpec
import SluiceYAML
import Testing

/// Flink 2 reads nested YAML the same as dotted keys, and the operator compares configurations on
/// their flat form (`ConfigObjectNode.asFlatMap()` in ReflectiveDiffBuilder): Sluice renders the
/// dotted form, so both spellings mean one thing to patches, policies, diffs and drivers.
@Suite("flinkConfiguration: nested or flat, one meaning")
struct FlinkConfigurationTests {
    static func job(configuration: String) -> String {
        """
        apiVersion: flink.apache.org/v1beta1
        kind: FlinkDeployment
        metadata: {name: orders, labels: {team: a}}
        spec:
          image: flink:2.1
          flinkVersion: v2_1
          flinkConfiguration:
        \(configuration.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
          jobManager: {resource: {memory: 1024m, cpu: 1}}
          taskManager: {resource: {memory: 1024m, cpu: 1}}
          job: {jarURI: "local:///opt/flink/job.jar", parallelism: 2, upgradeMode: savepoint}

        """
    }

    static let nested = """
        high-availability:
          type: kubernetes
          storageDir: s3://state/ha
        execution.checkpointing.interval: 30s
        """
    static let flat = """
        high-availability.type: kubernetes
        high-availability.storageDir: s3://state/ha
        execution.checkpointing.interval: 30s
        """

    static func files(configuration: String, patch: String = "") -> [String: String] {
        [
            "clusters/c.yaml": SpecFixtures.cluster("c"),
            "environments/prod.yaml": SpecFixtures.environment("prod", namespace: "flink-prod", extra: patch),
            "jobs/orders.yaml": job(configuration: configuration),
        ]
    }

    static func rendered(_ files: [String: String]) throws -> DesiredObject {
        let state = try Renderer().render(SpecFixtures.load(files))
        return try #require(state.clusters.first?.objects.first { $0.name == "orders" })
    }

    @Test("nested and dotted keys render to the same dotted configuration and the same spec hash")
    func sameMeaning() throws {
        let nested = try Self.rendered(Self.files(configuration: Self.nested))
        let flat = try Self.rendered(Self.files(configuration: Self.flat))
        let configuration = try #require(nested.value[path: "spec", "flinkConfiguration"]?.mapValue)
        #expect(configuration.keys.sorted() == ["execution.checkpointing.interval", "high-availability.storageDir", "high-availability.type"])
        #expect(nested.value[path: "spec", "flinkConfiguration"] == flat.value[path: "spec", "flinkConfiguration"])
        // Same hash: the plan and `sluice check` see no change between the two spellings.
        #expect(nested.specHash == flat.specHash)
        // Each key still points at the line that wrote it.
        #expect(configuration.entry("high-availability.storageDir")?.keyLocation?.line == 10)
    }

    @Test("a merge patch with a dotted null removes a nested key, and a nested null a whole section")
    func patchesEitherForm() throws {
        let dottedNull = """
              patches:
                - target: {kind: FlinkDeployment}
                  merge: {spec: {flinkConfiguration: {high-availability.type: null}}}
            """
        let removed = try Self.rendered(Self.files(configuration: Self.nested, patch: dottedNull))
        #expect(removed.value[path: "spec", "flinkConfiguration"]?.mapValue?.keys.sorted()
                == ["execution.checkpointing.interval", "high-availability.storageDir"])

        let nestedSectionNull = """
              patches:
                - target: {kind: FlinkDeployment}
                  merge: {spec: {flinkConfiguration: {high-availability: null}}}
            """
        let sectionRemoved = try Self.rendered(Self.files(configuration: Self.flat, patch: nestedSectionNull))
        #expect(sectionRemoved.value[path: "spec", "flinkConfiguration"]?.mapValue?.keys == ["execution.checkpointing.interval"])

        let nestedSet = """
              patches:
                - target: {kind: FlinkDeployment}
                  merge: {spec: {flinkConfiguration: {high-availability: {storageDir: "s3://other/ha"}}}}
            """
        let set = try Self.rendered(Self.files(configuration: Self.flat, patch: nestedSet))
        #expect(set.value[path: "spec", "flinkConfiguration", "high-availability.storageDir"] == "s3://other/ha")
        #expect(set.value[path: "spec", "flinkConfiguration", "high-availability.type"] == "kubernetes")

        let jsonPatch = """
              patches:
                - target: {kind: FlinkDeployment}
                  jsonPatch:
                    - {op: add, path: /spec/flinkConfiguration/state, value: {backend: {type: rocksdb}}}
            """
        let added = try Self.rendered(Self.files(configuration: Self.nested, patch: jsonPatch))
        #expect(added.value[path: "spec", "flinkConfiguration", "state.backend.type"] == "rocksdb")
    }

    @Test("a key set both nested and dotted is an error at the second place")
    func duplicate() throws {
        let both = Self.nested + "\nhigh-availability.type: zookeeper"
        let diagnostics = try SpecFixtures.diagnostics(Self.files(configuration: both))
        let error = try #require(diagnostics.first { $0.message.contains("high-availability.type twice") })
        #expect(error.location?.file == "jobs/orders.yaml")
        #expect(error.location?.line == 12)
    }
}
