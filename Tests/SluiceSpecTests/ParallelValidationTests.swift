import Foundation
import SluiceCore
import SluiceYAML
import Testing

@testable import SluiceSpec

/// The Flink kinds' schema checks run on all cores, and each kind's CRD schema starts compiling
/// as soon as the loader has parsed a document of that kind: what is reported must not change.
@Suite("Validation on all cores")
struct ParallelValidationTests {
    @Test("schema errors of many FlinkDeployments are each reported once, at their own file, with the envelope errors of the same document")
    func manyDocumentsEachReportedOnce() throws {
        var files = [
            "c.yaml": SpecFixtures.cluster("c1"),
            "e.yaml": SpecFixtures.environment("prod", namespace: "flink"),
        ]
        // 50 documents: more than the chunks the checks are split into, so chunk edges fall
        // between good and bad documents.
        let bad = Set(stride(from: 0, to: 50, by: 3))
        let badName = 7
        for i in 0..<50 {
            var text = SpecFixtures.deployment(i == badName ? "Job_\(i)" : "job-\(i)")
            if bad.contains(i) { text = text.replacingOccurrences(of: "upgradeMode: savepoint", with: "upgradeMode: savepont") }
            files["jobs/job-\(i).yaml"] = text
        }
        let found = try SpecFixtures.diagnostics(files)
        let schema = found.filter { $0.message.contains("upgradeMode") }
        #expect(schema.count == bad.count)
        #expect(Set(schema.compactMap { $0.location?.file }) == Set(bad.map { "jobs/job-\($0).yaml" }))
        #expect(schema.allSatisfy { $0.location?.line == 18 && $0.location?.column == 18 })
        // The same document's name error is reported beside its schema error.
        let names = found.filter { $0.message.hasPrefix("metadata.name:") }
        #expect(names.map { $0.location?.file } == ["jobs/job-\(badName).yaml"])
        #expect(found.count == bad.count + 1)
    }

    @Test("a document of a Flink kind starts its schema's compilation; an unknown kind does not")
    func schemaCompilationStartsWhenAKindIsSeen() throws {
        let session = """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkSessionJob
            metadata:
              name: session-job
            spec:
              deploymentName: session
              job:
                jarURI: local:///opt/flink/job.jar
                parallelism: 1
                upgradeMode: stateless

            """
        _ = try? SpecFixtures.load([
            "c.yaml": SpecFixtures.cluster("c1"),
            "e.yaml": SpecFixtures.environment("prod", namespace: "flink"),
            "jobs/s.yaml": session,
        ])
        #expect(SchemaWarmUp.wasStarted("FlinkSessionJob"))
        FlinkSchemas.prepare(forDocument: ["apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkNoSuchKind"])
        #expect(!SchemaWarmUp.wasStarted("FlinkNoSuchKind"))
        // Asking again while (or after) it compiles gives the schema.
        #expect(FlinkSchemas.schema(for: "FlinkSessionJob") != nil)
    }
}
