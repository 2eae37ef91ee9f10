import Foundation
import SluiceCore
import SluiceSpec
import SluiceYAML
import Testing

@Suite("Loading and validating spec sets")
struct LoadValidateTests {
    @Test("specs-example loads without errors")
    func specsExampleLoads() throws {
        let set = try SpecLoader().load(from: DirectoryTree(path: SpecFixtures.specsExample.path), revision: "x")
        #expect(set.clusters.map(\.name) == ["aws-eu-west-1", "dc-frankfurt", "dc-frankfurt-flink", "edge-lab", "edge-munich-1", "gke-europe-west4"])
        #expect(Set(set.clusters.map(\.tier)) == [.public, .private, .edge])
        #expect(set.environments.map(\.name) == ["staging", "production"])
        #expect(set.workloads.filter { $0.kind == "FlinkDeployment" }.count == 3)
        #expect(set.workloads.contains { $0.kind == "FlinkSessionJob" })
        #expect(Set(set.workloads.map(\.kind)).isSuperset(of: ["ConfigMap", "Service", "HorizontalPodAutoscaler", "NetworkPolicy"]))
        #expect(set.warnings.filter { $0.severity == .error }.isEmpty)
    }

    @Test("an unknown field in a Cluster names its line and column and suggests the right one")
    func unknownClusterField() throws {
        let text = SpecFixtures.cluster("c1").replacingOccurrences(of: "  driver: kubernetes", with: "  drivr: kubernetes")
        let found = try SpecFixtures.diagnostics(["clusters/c1.yaml": text])
        let unknown = try #require(found.first { $0.message.contains("unknown field \"drivr\"") })
        #expect(unknown.location == SourceLocation(file: "clusters/c1.yaml", line: 9, column: 3))
        #expect(unknown.hint == "did you mean \"driver\"?")
        #expect(found.contains { $0.message == "spec.driver: required field is missing" })
    }

    @Test("an unsupported enum value lists the allowed ones")
    func badTier() throws {
        let text = SpecFixtures.cluster("c1", tier: "hybrid")
        let found = try SpecFixtures.diagnostics(["c.yaml": text])
        #expect(found.map(\.description).contains { $0.hasPrefix("c.yaml:8:9: spec.tier: unsupported value \"hybrid\"; expected one of: public, private, edge") })
    }

    @Test("names must be DNS-1123 labels for Sluice kinds")
    func badName() throws {
        let found = try SpecFixtures.diagnostics(["c.yaml": SpecFixtures.cluster("Prod_EU")])
        let d = try #require(found.first { $0.message.hasPrefix("metadata.name:") })
        #expect(d.location == SourceLocation(file: "c.yaml", line: 4, column: 9))
    }

    @Test("a duplicate identity names both places")
    func duplicate() throws {
        let found = try SpecFixtures.diagnostics([
            "a/one.yaml": SpecFixtures.cluster("c1"),
            "b/two.yaml": SpecFixtures.cluster("c1"),
        ])
        let d = try #require(found.first { $0.message.contains("duplicate") })
        #expect(d.location?.file == "b/two.yaml")
        #expect(d.message.contains("also defined at a/one.yaml:1:1"))
    }

    @Test("a FlinkDeployment is checked against the operator's CRD schema")
    func crdSchema() throws {
        let text = SpecFixtures.deployment("job-a").replacingOccurrences(of: "upgradeMode: savepoint", with: "upgradeMode: savepont")
        let found = try SpecFixtures.diagnostics([
            "jobs/a.yaml": text,
            "c.yaml": SpecFixtures.cluster("c1"),
            "e.yaml": SpecFixtures.environment("prod", namespace: "flink"),
        ])
        let d = try #require(found.first { $0.message.contains("upgradeMode") })
        #expect(d.location == SourceLocation(file: "jobs/a.yaml", line: 18, column: 18))
        #expect(d.message.contains("savepoint"))
    }

    @Test("a Secret in Git is refused")
    func secretRefused() throws {
        let found = try SpecFixtures.diagnostics([
            "s.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: hunter2\n",
        ])
        let d = try #require(found.first)
        #expect(d.message.contains("secrets must not be stored in Git"))
        #expect(!d.description.contains("hunter2"))
    }

    @Test("a literal token in a Cluster is refused with how to reference it")
    func inlineToken() throws {
        let text = """
            apiVersion: sluice.dev/v1alpha1
            kind: Cluster
            metadata: {name: fra}
            spec:
              tier: private
              driver: flink
              flink:
                url: http://127.0.0.1:8081
                bearerToken: s3cr3t-value
            """
        let found = try SpecFixtures.diagnostics(["c.yaml": text])
        let d = try #require(found.first)
        #expect(d.location == SourceLocation(file: "c.yaml", line: 9, column: 18))
        #expect(d.hint?.contains("{env: VARIABLE_NAME}") == true)
        #expect(!d.description.contains("s3cr3t-value"))
    }

    @Test("a session job must name a session cluster")
    func sessionJobReference() throws {
        let job = """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkSessionJob
            metadata: {name: sj}
            spec:
              deploymentName: missing-session
              job: {jarURI: "https://x/job.jar", parallelism: 1, upgradeMode: stateless}
            """
        let found = try SpecFixtures.diagnostics(["j.yaml": job, "c.yaml": SpecFixtures.cluster("c1")])
        let d = try #require(found.first { $0.message.contains("deploymentName") })
        #expect(d.location == SourceLocation(file: "j.yaml", line: 5, column: 19))
        #expect(d.message.contains("no FlinkDeployment named missing-session"))
    }

    @Test("YAML syntax errors carry the file position")
    func syntaxError() throws {
        let found = try SpecFixtures.diagnostics(["bad.yaml": "apiVersion: v1\nkind: [ConfigMap\nmetadata: {}\n"])
        let d = try #require(found.first)
        #expect(d.location?.file == "bad.yaml")
        #expect((d.location?.line ?? 0) >= 2)
    }

    @Test("an invalid placement selector is reported at the annotation")
    func badPlacement() throws {
        let text = SpecFixtures.deployment("job-a", annotations: "sluice.dev/cluster-selector: \"tier in (a\"")
        let found = try SpecFixtures.diagnostics(["j.yaml": text, "c.yaml": SpecFixtures.cluster("c1")])
        let d = try #require(found.first { $0.message.contains("cluster-selector") })
        #expect(d.location?.line == 8)
    }

    @Test("an empty tree is an error that says where it looked")
    func emptyTree() throws {
        let found = try SpecFixtures.diagnostics(["README.md": "nothing"])
        #expect(found.first?.message.contains("no spec documents found") == true)
    }
}
