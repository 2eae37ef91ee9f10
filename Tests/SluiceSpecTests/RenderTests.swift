import Foundation
import SluiceCore
import SluiceSpec
import SluiceYAML
import Testing

@Suite("Rendering the desired state of each cluster")
struct RenderTests {
    static let twoTiers: [String: String] = [
        "clusters/pub.yaml": SpecFixtures.cluster("pub", tier: "public"),
        "clusters/edge.yaml": SpecFixtures.cluster("edge", tier: "edge", driver: "runtime"),
        "clusters/stage.yaml": SpecFixtures.cluster("stage", tier: "public", stage: "staging"),
        "environments/prod.yaml": SpecFixtures.environment("prod", namespace: "flink-prod", extra: """
              patches:
                - target: {kind: FlinkDeployment, tier: edge}
                  merge:
                    spec:
                      taskManager: {resource: {memory: 512m}}
                - target: {name: job-b}
                  jsonPatch:
                    - {op: replace, path: /spec/job/parallelism, value: 7}
            """),
        "jobs/a.yaml": SpecFixtures.deployment("job-a"),
        "jobs/b.yaml": SpecFixtures.deployment("job-b", annotations: "sluice.dev/cluster-selector: sluice.dev/tier=public"),
        "jobs/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {k: v}\n",
    ]

    func render(_ files: [String: String], revision: String = "rev1") throws -> DesiredState {
        try Renderer().render(SpecFixtures.load(files, revision: revision))
    }

    func object(_ state: DesiredState, _ cluster: String, _ name: String) -> DesiredObject? {
        state.clusters.first { $0.cluster.name == cluster }?.objects.first { $0.name == name }
    }

    @Test("environments place selected jobs on selected clusters, in their namespace")
    func placement() throws {
        let state = try render(Self.twoTiers)
        #expect(state.clusters.map(\.cluster.name) == ["edge", "pub", "stage"])
        let pub = try #require(state.clusters.first { $0.cluster.name == "pub" })
        #expect(pub.objects.map(\.name) == ["cfg", "job-a", "job-b"])
        #expect(pub.objects.allSatisfy { $0.identity.namespace == "flink-prod" && $0.value[path: "metadata", "namespace"] == "flink-prod" })
        // job-b is placed on the public tier only; the ConfigMap only goes to Kubernetes clusters.
        let edge = try #require(state.clusters.first { $0.cluster.name == "edge" })
        #expect(edge.objects.map(\.name) == ["job-a"])
        // No environment selects the staging cluster.
        #expect(state.clusters.first { $0.cluster.name == "stage" }?.objects.isEmpty == true)
    }

    @Test("patches apply by tier and by name")
    func patches() throws {
        let state = try render(Self.twoTiers)
        #expect(object(state, "edge", "job-a")?.value[path: "spec", "taskManager", "resource", "memory"] == "512m")
        #expect(object(state, "edge", "job-a")?.value[path: "spec", "taskManager", "resource", "cpu"] == 1)
        #expect(object(state, "pub", "job-a")?.value[path: "spec", "taskManager", "resource", "memory"] == "1024m")
        #expect(object(state, "pub", "job-b")?.value[path: "spec", "job", "parallelism"] == 7)
        #expect(object(state, "pub", "job-a")?.value[path: "spec", "job", "parallelism"] == 2)
    }

    @Test("ownership marks are stamped; the spec hash ignores the revision but not the spec")
    func ownership() throws {
        let first = try #require(object(try render(Self.twoTiers, revision: "r1"), "pub", "job-a"))
        let labels = first.value[path: "metadata", "labels"]
        #expect(labels?[Ownership.managedByLabel] == "sluice")
        #expect(labels?[Ownership.environmentLabel] == "prod")
        let annotations = first.value[path: "metadata", "annotations"]
        #expect(annotations?[Ownership.revisionAnnotation] == "r1")
        #expect(annotations?[Ownership.sourceAnnotation] == "jobs/a.yaml:1")
        #expect(annotations?[Ownership.specHashAnnotation]?.stringValue == first.specHash)
        #expect(first.specHash.count == 64)

        let second = try #require(object(try render(Self.twoTiers, revision: "r2"), "pub", "job-a"))
        #expect(second.specHash == first.specHash)

        var changed = Self.twoTiers
        changed["jobs/a.yaml"] = SpecFixtures.deployment("job-a", parallelism: 3)
        let third = try #require(object(try render(changed), "pub", "job-a"))
        #expect(third.specHash != first.specHash)
    }

    @Test("output does not depend on file or document order")
    func deterministic() throws {
        var renamed: [String: String] = [:]
        for (i, (path, text)) in Self.twoTiers.sorted(by: { $0.key > $1.key }).enumerated() {
            renamed["\(i)-\(path.replacingOccurrences(of: "/", with: "-"))"] = text
        }
        let a = try render(Self.twoTiers)
        let b = try render(renamed)
        #expect(a.clusters.map { $0.objects.map(\.identity) } == b.clusters.map { $0.objects.map(\.identity) })
        #expect(a.clusters.map { $0.objects.map(\.specHash) } == b.clusters.map { $0.objects.map(\.specHash) })
    }

    @Test("two environments rendering one object on one cluster is an error naming both")
    func identityClash() throws {
        var files = Self.twoTiers
        files["environments/prod2.yaml"] = SpecFixtures.environment("prod2", namespace: "flink-prod")
        #expect {
            try render(files)
        } throws: { error in
            let text = "\(error)"
            return text.contains("rendered twice") && text.contains("prod2") && text.contains("prod")
        }
    }

    @Test("three environments rendering one object: each later one is named beside the first")
    func identityClashThrice() throws {
        var files = Self.twoTiers
        files["environments/prod2.yaml"] = SpecFixtures.environment("prod2", namespace: "flink-prod")
        files["environments/prod3.yaml"] = SpecFixtures.environment("prod3", namespace: "flink-prod")
        let error = try #require(throws: DiagnosticError.self) { try render(files) }
        // "<identity> on cluster <c> is rendered twice: from <file> (Environment <e>, ...) and from <first> (...)"
        var firstByObject: [Substring: Set<Substring>] = [:]
        for message in error.diagnostics.map(\.message) where message.contains(" is rendered twice: ") {
            let object = try #require(message.split(separator: " is rendered twice: ").first)
            let first = try #require(message.split(separator: ") and from ").last)
            firstByObject[object, default: []].insert(first)
        }
        // Two clashes per object and cluster (the second and third environment), both against the first.
        #expect(error.diagnostics.filter { $0.message.contains(" is rendered twice: ") }.count == 2 * firstByObject.count)
        #expect(!firstByObject.isEmpty)
        #expect(firstByObject.values.allSatisfy { $0.count == 1 }, "\(firstByObject)")
    }

    @Test("a JSON patch whose path is missing names the environment, object and cluster")
    func failingPatch() throws {
        var files = Self.twoTiers
        files["environments/prod.yaml"] = SpecFixtures.environment("prod", namespace: "flink-prod", extra: """
              patches:
                - target: {name: job-a}
                  jsonPatch:
                    - {op: replace, path: /spec/nothing/here, value: 1}
            """)
        #expect {
            try render(files)
        } throws: { error in
            let text = "\(error)"
            return text.contains("Environment prod") && text.contains("job-a") && text.contains("/spec/nothing/here")
        }
    }

    @Test("a patch that breaks the CRD schema is caught after rendering")
    func patchBreaksSchema() throws {
        var files = Self.twoTiers
        files["environments/prod.yaml"] = SpecFixtures.environment("prod", namespace: "flink-prod", extra: """
              patches:
                - target: {name: job-a}
                  merge: {spec: {job: {upgradeMode: sometimes}}}
            """)
        #expect {
            try render(files)
        } throws: { error in "\(error)".contains("upgradeMode") }
    }

    @Test("filters select clusters and environments, and unknown names are refused")
    func filters() throws {
        let set = try SpecFixtures.load(Self.twoTiers)
        let only = try Renderer(clusters: ["edge"]).render(set)
        #expect(only.clusters.map(\.cluster.name) == ["edge"])
        #expect(throws: UnknownNameError.self) { try Renderer(clusters: ["nope"]).render(set) }
        #expect(throws: UnknownNameError.self) { try Renderer(environments: ["nope"]).render(set) }
    }

    @Test("specs-example renders per-tier differences")
    func specsExample() throws {
        let set = try SpecLoader().load(from: DirectoryTree(path: SpecFixtures.specsExample.path), revision: "x")
        let state = try Renderer().render(set)
        let edge = try #require(object(state, "edge-munich-1", "iot-sensor-aggregation"))
        let dc = try #require(object(state, "dc-frankfurt", "iot-sensor-aggregation"))
        #expect(edge.value[path: "spec", "flinkConfiguration", "high-availability.type"] == nil)
        #expect(dc.value[path: "spec", "flinkConfiguration", "high-availability.type"] == "kubernetes")
        #expect(edge.value[path: "spec", "jobManager", "replicas"] == 1)
        #expect(dc.value[path: "spec", "image"]?.stringValue?.hasPrefix("registry.fra.internal.example/") == true)
        #expect(object(state, "edge-munich-1", "clickstream-enrichment") == nil)
        #expect(object(state, "gke-europe-west4", "clickstream-enrichment")?.value[path: "spec", "job", "parallelism"] == 2)
        #expect(object(state, "aws-eu-west-1", "fraud-scoring") != nil)
        #expect(object(state, "dc-frankfurt-flink", "clickstream-config") == nil)
    }

    static let sessionPair: [String: String] = [
        "clusters/c.yaml": SpecFixtures.cluster("c"),
        "environments/prod.yaml": SpecFixtures.environment("prod", namespace: "flink-prod"),
        "jobs/team-a.yaml": """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkSessionJob
            metadata: {name: orders, namespace: team-a, labels: {team: a}}
            spec: {deploymentName: session, job: {jarURI: "https://jars/a.jar", parallelism: 1}}

            """,
        "jobs/team-b.yaml": """
            apiVersion: flink.apache.org/v1beta1
            kind: FlinkSessionJob
            metadata: {name: orders, namespace: team-b, labels: {team: a}}
            spec: {deploymentName: session, job: {jarURI: "https://jars/b.jar", parallelism: 1}}

            """,
    ]

    /// Argo CD: the Application's destination namespace applies to resources without one; an
    /// explicit metadata.namespace in the source stays.
    @Test("an explicit namespace stays, the environment's fills in the rest, forceNamespace overrides")
    func explicitNamespaces() throws {
        var files = Self.sessionPair
        // A session job runs on a session cluster in its own namespace: one per team.
        for team in ["team-a", "team-b"] {
            files["jobs/session-\(team).yaml"] = """
                apiVersion: flink.apache.org/v1beta1
                kind: FlinkDeployment
                metadata: {name: session, namespace: \(team), labels: {team: a}}
                spec: {image: "flink:2.1", flinkVersion: v2_1, jobManager: {resource: {memory: 1024m, cpu: 1}}, taskManager: {resource: {memory: 1024m, cpu: 1}}}

                """
        }
        files["jobs/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {k: v}\n"
        let state = try render(files)
        let objects = try #require(state.clusters.first?.objects)
        let jobs = objects.filter { $0.kind == "FlinkSessionJob" }.map { $0.identity.namespace ?? "" }.sorted()
        #expect(jobs == ["team-a", "team-b"])
        #expect(objects.first { $0.name == "cfg" }?.identity.namespace == "flink-prod")
        #expect(objects.first { $0.kind == "FlinkSessionJob" && $0.identity.namespace == "team-a" }?
            .value[path: "metadata", "namespace"] == "team-a")

        // forceNamespace puts everything in the environment's namespace: now the two jobs collide,
        // and the error names both sources and why they share a namespace.
        files["environments/prod.yaml"] = SpecFixtures.environment("prod", namespace: "flink-prod", extra: "  forceNamespace: true")
        #expect {
            try render(files)
        } throws: { error in
            let text = "\(error)"
            return text.contains("rendered twice") && text.contains("jobs/team-a.yaml") && text.contains("jobs/team-b.yaml")
                && text.contains("spec.namespace (forceNamespace)") && text.contains("two documents define FlinkSessionJob orders")
        }
    }
}
