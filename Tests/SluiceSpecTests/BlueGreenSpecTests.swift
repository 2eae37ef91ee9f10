import Foundation
import SluiceCore
import SluiceSpec
import SluiceYAML
import Testing

/// FlinkBlueGreenDeployment (flink-kubernetes-operator, CRD flinkbluegreendeployments.flink.apache.org,
/// bundled from the same commit as the other operator CRDs): validated against its CRD schema, its
/// children's FlinkDeployment spec at `spec.template.spec` read like a FlinkDeployment's spec.
@Suite("FlinkBlueGreenDeployment specs")
struct BlueGreenSpecTests {
    static func blueGreen(_ name: String = "orders", configuration: String = "execution.checkpointing.interval: 30s",
                          upgradeMode: String = "savepoint") -> String {
        """
        apiVersion: flink.apache.org/v1beta1
        kind: FlinkBlueGreenDeployment
        metadata: {name: \(name), labels: {team: a}}
        spec:
          configuration:
            kubernetes.operator.bluegreen.abort.grace-period: 10m
          template:
            spec:
              image: flink:2.1
              flinkVersion: v2_1
              flinkConfiguration:
        \(configuration.split(separator: "\n").map { "        " + $0 }.joined(separator: "\n"))
              jobManager: {resource: {memory: 1024m, cpu: 1}}
              taskManager: {resource: {memory: 1024m, cpu: 1}}
              job: {jarURI: "local:///opt/flink/job.jar", parallelism: 2, upgradeMode: \(upgradeMode)}

        """
    }

    static func files(_ job: String, patch: String = "") -> [String: String] {
        [
            "clusters/c.yaml": SpecFixtures.cluster("c"),
            "environments/prod.yaml": SpecFixtures.environment("prod", namespace: "flink-prod", extra: patch),
            "jobs/orders.yaml": job,
        ]
    }

    @Test("a FlinkBlueGreenDeployment is a known kind and loads without errors")
    func known() throws {
        let found = try SpecFixtures.diagnostics(Self.files(Self.blueGreen())).filter { $0.severity == .error }
        #expect(found.isEmpty, "\(found)")
        #expect(FlinkSchemas.kinds.contains("FlinkBlueGreenDeployment"))
    }

    @Test("its template is checked against the CRD schema, at file:line:column")
    func schemaErrors() throws {
        let bad = Self.blueGreen(upgradeMode: "savepont")
        let found = try SpecFixtures.diagnostics(Self.files(bad))
        let d = try #require(found.first { $0.message.contains("upgradeMode") }, "\(found)")
        #expect(d.location == SourceLocation(file: "jobs/orders.yaml", line: 15, column: 80))
        #expect(d.message.contains("savepoint"))

        let unknownField = Self.blueGreen().replacingOccurrences(of: "  configuration:", with: "  configurations:")
        let unknown = try SpecFixtures.diagnostics(Self.files(unknownField))
        let u = try #require(unknown.first { $0.message.contains("configurations") }, "\(unknown)")
        #expect(u.location?.file == "jobs/orders.yaml" && u.location?.line == 5)
    }

    @Test("a key set nested and dotted in spec.template.spec.flinkConfiguration is an error at its second place")
    func duplicateKeys() throws {
        let twice = Self.blueGreen(configuration: "high-availability:\n  type: kubernetes\nhigh-availability.type: zookeeper")
        let found = try SpecFixtures.diagnostics(Self.files(twice))
        let d = try #require(found.first { $0.message.contains("sets high-availability.type twice") }, "\(found)")
        #expect(d.message.hasPrefix("spec.template.spec.flinkConfiguration"))
        #expect(d.location?.line == 14)
    }

    static func rendered(_ files: [String: String]) throws -> DesiredObject {
        let state = try Renderer().render(SpecFixtures.load(files))
        return try #require(state.clusters.first?.objects.first { $0.name == "orders" })
    }

    @Test("spec.template.spec.flinkConfiguration renders in the dotted form, and patches read it as Flink does")
    func canonicalConfiguration() throws {
        let nested = try Self.rendered(Self.files(Self.blueGreen(configuration: "high-availability:\n  type: kubernetes\n  storageDir: s3://ha")))
        let flat = try Self.rendered(Self.files(Self.blueGreen(configuration: "high-availability.type: kubernetes\nhigh-availability.storageDir: s3://ha")))
        let configuration = try #require(nested.value[path: "spec", "template", "spec", "flinkConfiguration"]?.mapValue)
        #expect(configuration.keys.sorted() == ["high-availability.storageDir", "high-availability.type"])
        #expect(nested.specHash == flat.specHash)
        // The operator's own configuration (spec.configuration) is not Flink's: it stays as written.
        #expect(nested.value[path: "spec", "configuration", "kubernetes.operator.bluegreen.abort.grace-period"]?.stringValue == "10m")

        let patch = """
              patches:
                - target: {kind: FlinkBlueGreenDeployment}
                  merge: {spec: {template: {spec: {flinkConfiguration: {high-availability: {type: null}}, job: {parallelism: 4}}}}}
            """
        let patched = try Self.rendered(Self.files(Self.blueGreen(configuration: "high-availability:\n  type: kubernetes\n  storageDir: s3://ha"), patch: patch))
        #expect(patched.value[path: "spec", "template", "spec", "flinkConfiguration"]?.mapValue?.keys == ["high-availability.storageDir"])
        #expect(patched.value[path: "spec", "template", "spec", "job", "parallelism"]?.intValue == 4)
        #expect(patched.value[path: "spec", "configuration"] != nil)
    }

    @Test("it is applied with the application clusters, after session clusters and before session jobs")
    func applyOrder() {
        let blueGreen: Value = ["spec": ["template": ["spec": ["job": ["jarURI": "local:///a.jar"]]]]]
        let session: Value = ["spec": ["image": "flink"]]
        let order = ApplyOrder.rank(of: blueGreen, kind: "FlinkBlueGreenDeployment")
        #expect(order > ApplyOrder.rank(of: session, kind: "FlinkDeployment"))
        #expect(order < ApplyOrder.rank(of: session, kind: "FlinkSessionJob"))
        #expect(order > ApplyOrder.rank(of: [:], kind: "ConfigMap"))
    }
}
