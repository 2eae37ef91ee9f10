import Foundation
import SluiceCore
import SluiceSpec
import SluiceYAML
import Testing

/// The spec hash is stored: in live objects' `sluice.dev/spec-hash` annotations and in the applied-state
/// store. A different hash for the same intent would make every object look changed after an upgrade of
/// Sluice, so these values were computed once, by the release that wrote the canonical JSON into a byte
/// array and hashed it afterwards (`sluice render` of the same files, and `sha256sum` of that release's
/// canonical JSON), and must never change, however the hash is computed.
@Suite("Spec hashes stay byte-identical across releases")
struct SpecHashPinTests {
    /// Every kind of node, keys out of byte order (upper before lower case, non-ASCII last), strings that
    /// need escaping, and doubles whose text form is easy to get wrong.
    static let everyKind: Value = [
        "zeta": [1, -1, 0, .int(Int.min), .int(Int.max)],
        "Zeta": ["nested": ["deeper": [[], [:], nil]]],
        "émoji": "🚀 ünïcödé",
        "alpha": "quote \" backslash \\ newline \n tab \t return \r bell \u{07} unit \u{1F} del \u{7F}",
        "a": true,
        "a.b": false,
        "": "empty key",
        "doubles": [0.1, 1e21, 1e-7, -0.0, 100.0, 2.5, .double(.nan), .double(.infinity), .double(-.infinity), 123456789.125],
        "null": nil,
        "list": ["b", "a", ["z": 1, "y": 2]],
    ]

    @Test("the hash of a value with every kind of node is pinned")
    func everyKindPinned() {
        #expect(Ownership.specHash(of: Self.everyKind) == "fe48e51c74371fe4be422532846f2923a3782f3df908a004da93ebb288068617")
    }

    @Test("locations do not take part in the hash")
    func locationsIgnored() throws {
        let parsed = try YAML.parseDocument("b: [1, {d: x, c: 'y'}]\na: 2.5\n", file: "one.yaml")
        let built: Value = ["a": 2.5, "b": [1, ["c": "y", "d": "x"]]]
        #expect(Ownership.specHash(of: parsed) == Ownership.specHash(of: built))
        #expect(Ownership.specHash(of: parsed) == "734393584c498ff41dfeb726c5b2672b434079484be31e9237780c52fac1982e")
    }

    static let files: [String: String] = [
        "clusters/k8s.yaml": SpecFixtures.cluster("k8s", tier: "public"),
        "clusters/edge.yaml": SpecFixtures.cluster("edge", tier: "edge", driver: "runtime"),
        "environments/prod.yaml": SpecFixtures.environment("prod", namespace: "flink-prod", extra: """
              patches:
                - target: {kind: FlinkDeployment, tier: edge}
                  merge:
                    spec:
                      taskManager: {resource: {memory: 512m}}
                      flinkConfiguration:
                        high-availability: {type: null}
                - target: {name: pinned-b}
                  jsonPatch:
                    - {op: replace, path: /spec/job/parallelism, value: 7}
                    - {op: add, path: /spec/job/args, value: ["--mode", "fast \\"quoted\\""]}
            """),
        "jobs/a.yaml": """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkDeployment
            metadata:
              name: pinned-a
              labels: {team: a, tier: gold}
              annotations: {owner: "Zoë <zoe@example.com>"}
            spec:
              image: registry.example.com/flink-jobs:1.4.0
              flinkVersion: v2_1
              flinkConfiguration:
                high-availability:
                  type: kubernetes
                  storageDir: s3://bucket/ha
                taskmanager.numberOfTaskSlots: "2"
                execution.checkpointing.interval: 30s
              jobManager:
                resource: {memory: 1024m, cpu: 0.5}
              taskManager:
                replicas: 3
                resource: {memory: 2048m, cpu: 1.5}
              job:
                jarURI: local:///opt/flink/job.jar
                parallelism: 4
                upgradeMode: savepoint
                args: [--input, "s3://in/è", "--threshold", "1e3"]

            """,
        "jobs/b.yaml": SpecFixtures.deployment("pinned-b", annotations: "sluice.dev/cluster-selector: sluice.dev/tier=public"),
        "jobs/cm.yaml": """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: pinned-config}
            data:
              log4j.properties: |
                rootLogger.level = INFO
                appender.console.type = Console
              "key with\\ttab": "value \\u00e9 \\U0001F600"
              empty: ""

            """,
    ]

    @Test("the hashes of rendered objects are pinned")
    func renderedPinned() throws {
        let state = try Renderer().render(SpecFixtures.load(Self.files, revision: "pinned-revision"))
        var hashes: [String: String] = [:]
        for cluster in state.clusters {
            for object in cluster.objects { hashes["\(cluster.cluster.name)/\(object.name)"] = object.specHash }
        }
        #expect(hashes == [
            "edge/pinned-a": "e8e50e3ac8150dc46b350778cb4cdc2943d196e1a9e6be533a0a31a79e404f48",
            "k8s/pinned-a": "f658c024aa17e3b1cc9506b2ce99764829f52f1335d99f0a2e06ca6ceb1c83a0",
            "k8s/pinned-b": "7a73414f3cbf177a1fa33b102c05cb6d3075ffacdeec2fee36435e38f194e197",
            "k8s/pinned-config": "43ca0d43c3e5a2a9832912c5e6232b9caec286c836f3ecb415c58684659e16d8",
        ])
    }
}
