import Foundation
import SluiceTestSupport
import SluiceYAML
import Testing

/// `sluice render` writes each cluster as soon as it is rendered: these pin its output byte for
/// byte to what the whole-state printer wrote, and check that what it streams is a document.
@Suite("sluice render, streamed")
struct RenderStreamingTests {
    /// Compares `output` with the golden file `name`; SLUICE_UPDATE_GOLDEN=1 rewrites it.
    static func expectGolden(_ output: String, _ name: String) throws {
        let source = SluiceBinary.repositoryRoot.appendingPathComponent("Tests/SluiceCLITests/Golden/\(name)")
        if ProcessInfo.processInfo.environment["SLUICE_UPDATE_GOLDEN"] == "1" {
            try output.write(to: source, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: source, encoding: .utf8)
        #expect(output == expected, "render output changed (\(name)); if intended, rerun with SLUICE_UPDATE_GOLDEN=1 and review the diff")
    }

    @Test("render --output json over specs-example matches the golden output, and is one JSON document")
    func goldenJSON() async throws {
        let result = try await SluiceBinary.run(["render", "--path", "specs-example", "--output", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        try Self.expectGolden(result.stdout, "render-specs-example.json")
        let document = try JSON.decode(result.stdout)
        let objects = document["clusters"]?.listValue?.reduce(0) { $0 + ($1["objects"]?.listValue?.count ?? 0) }
        let yaml = try await SluiceBinary.run(["render", "--path", "specs-example"])
        #expect(objects == (try YAML.parse(yaml.stdout, file: "render")).count)
    }

    @Test("render --output table over specs-example matches the golden output")
    func goldenTable() async throws {
        let result = try await SluiceBinary.run(["render", "--path", "specs-example", "--output", "table"])
        #expect(result.status == 0, "\(result.stderr)")
        try Self.expectGolden(result.stdout, "render-specs-example.table")
    }

    @Test("the streamed JSON is the pretty JSON of the document it holds, empty clusters and many objects included")
    func wellFormedJSON() async throws {
        let repo = try TemporaryDirectory(prefix: "sluice-render-stream")
        try Self.writeSpecs(to: repo.url, jobs: 120, failingPatch: false)
        let result = try await SluiceBinary.run(["render", "--repo", repo.path, "--output", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let document = try JSON.decode(result.stdout)
        // Byte for byte what the whole-document printer writes for the same value.
        #expect(result.stdout == JSON.encode(document, pretty: true) + "\n")
        let clusters = try #require(document["clusters"]?.listValue)
        #expect(clusters.map { $0["name"]?.stringValue } == ["a-flink", "b-edge", "c-idle"])
        #expect(clusters.map { $0["objects"]?.listValue?.count } == [120, 120, 0])
        #expect(clusters[2]["environments"]?.listValue?.isEmpty == true)

        let yaml = try await SluiceBinary.run(["render", "--repo", repo.path, "--output", "yaml"])
        #expect(yaml.status == 0)
        #expect(try YAML.parse(yaml.stdout, file: "render").count == 240)
    }

    @Test("a render error after output began exits 1, names file:line:column, says the output is incomplete, and leaves no valid document")
    func errorMidStream() async throws {
        let repo = try TemporaryDirectory(prefix: "sluice-render-stream")
        try Self.writeSpecs(to: repo.url, jobs: 3, failingPatch: true)
        for format in ["json", "yaml"] {
            let result = try await SluiceBinary.run(["render", "--repo", repo.path, "--output", format])
            #expect(result.status == 1, "\(result)")
            // The patch fails on b-edge only; a-flink (rendered first) was already written.
            #expect(result.stdout.contains("a-flink"))
            #expect(result.stderr.contains("environments/env.yaml:"), "\(result.stderr)")
            #expect(result.stderr.contains("error: patch of Environment env cannot be applied"), "\(result.stderr)")
            #expect(result.stderr.contains("incomplete"), "\(result.stderr)")
            if format == "json" {
                #expect(throws: (any Error).self) { try JSON.decode(result.stdout) }
            } else {
                #expect(throws: (any Error).self) { try YAML.parse(result.stdout, file: "render") }
            }
        }
        // When the first cluster fails, nothing at all is written.
        let onlyEdge = try await SluiceBinary.run(["render", "--repo", repo.path, "--output", "json", "--cluster", "b-edge"])
        #expect(onlyEdge.status == 1)
        #expect(onlyEdge.stdout.isEmpty, "\(onlyEdge.stdout)")
    }

    /// Three clusters (a flink one, an edge one, one no environment selects), one environment
    /// placing `jobs` FlinkDeployments on the first two; with `failingPatch`, a JSON patch that
    /// only the edge cluster's objects cannot take.
    static func writeSpecs(to root: URL, jobs: Int, failingPatch: Bool) throws {
        for folder in ["clusters", "environments", "jobs"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        func write(_ path: String, _ text: String) throws {
            try text.write(to: root.appendingPathComponent(path), atomically: true, encoding: .utf8)
        }
        try write("clusters/a.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Cluster
            metadata: {name: a-flink, labels: {use: "yes"}}
            spec: {tier: private, driver: flink, flink: {url: "http://127.0.0.1:1"}}
            """)
        try write("clusters/b.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Cluster
            metadata: {name: b-edge, labels: {use: "yes"}}
            spec: {tier: edge, driver: runtime, runtime: {}}
            """)
        try write("clusters/c.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Cluster
            metadata: {name: c-idle, labels: {use: "no"}}
            spec: {tier: private, driver: flink, flink: {url: "http://127.0.0.1:2"}}
            """)
        let patch = failingPatch ? """
              patches:
                - target: {kind: FlinkDeployment, tier: edge}
                  jsonPatch:
                    - {op: replace, path: /spec/no/such/field, value: 1}
            """ : ""
        try write("environments/env.yaml", """
            apiVersion: sluice.dev/v1alpha1
            kind: Environment
            metadata: {name: env}
            spec:
              namespace: flink
              clusters: {matchLabels: {use: "yes"}}
              jobs: {matchLabels: {team: t}}
            \(patch)
            """)
        for j in 0..<jobs {
            try write("jobs/job-\(j).yaml", """
                apiVersion: flink.apache.org/v1beta1
                kind: FlinkDeployment
                metadata: {name: job-\(j), labels: {team: t}}
                spec:
                  flinkVersion: v2_0
                  flinkConfiguration: {execution.checkpointing.interval: 30s, note: "quote \\" and\\nnewline"}
                  job: {jarURI: "https://artifacts.example/job-\(j).jar", parallelism: \(1 + j % 4), upgradeMode: stateless}
                """)
        }
    }
}
