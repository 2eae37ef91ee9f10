import Foundation
import SluiceCore
import SluiceSpec
import SluiceYAML
import Testing

/// `Renderer.render` renders each distinct placement (environment, workload, the patches that
/// apply on the cluster) once and shares the object between the clusters that place it alike.
/// What it gives must be what rendering cluster by cluster (`renderEach`, which shares nothing)
/// gives, and clusters whose patches differ, even by one patch aimed at one cluster, must not share.
@Suite("Placements shared between clusters")
struct RenderSharingTests {
    static let files: [String: String] = [
        "clusters/pub.yaml": SpecFixtures.cluster("pub", tier: "public"),
        "clusters/pub2.yaml": SpecFixtures.cluster("pub2", tier: "public"),
        "clusters/pub3.yaml": SpecFixtures.cluster("pub3", tier: "public"),
        "clusters/edge.yaml": SpecFixtures.cluster("edge", tier: "edge", driver: "runtime"),
        "environments/prod.yaml": SpecFixtures.environment("prod", namespace: "flink-prod", extra: """
              patches:
                - target: {kind: FlinkDeployment, tier: edge}
                  merge:
                    spec:
                      taskManager: {resource: {memory: 512m}}
                - target: {name: job-a, cluster: pub2}
                  jsonPatch:
                    - {op: replace, path: /spec/job/parallelism, value: 9}
            """),
        "jobs/a.yaml": SpecFixtures.deployment("job-a"),
        "jobs/b.yaml": SpecFixtures.deployment("job-b", parallelism: 3),
    ]

    /// Every cluster's objects, rendered one cluster at a time.
    static func oneByOne(_ specs: SpecSet) throws -> [ClusterDesiredState] {
        var out: [ClusterDesiredState] = []
        try Renderer().renderEach(specs) { out.append($0) }
        return out
    }

    @Test("shared placements give every cluster what rendering it alone gives")
    func sameAsOneByOne() throws {
        let specs = try SpecFixtures.load(Self.files, revision: "rev1")
        let shared = try Renderer().render(specs).clusters
        let alone = try Self.oneByOne(specs)
        #expect(shared.map(\.cluster.name) == alone.map(\.cluster.name))
        for (a, b) in zip(shared, alone) {
            #expect(a.environments == b.environments)
            #expect(a.objects.map(\.identity) == b.objects.map(\.identity))
            #expect(a.objects.map(\.value) == b.objects.map(\.value))
            #expect(a.objects.map(\.specHash) == b.objects.map(\.specHash))
            #expect(a.objects.allSatisfy { $0.cluster == a.cluster.name }, "\(a.cluster.name)")
        }
        func object(_ cluster: String, _ name: String) -> DesiredObject? {
            shared.first { $0.cluster.name == cluster }?.objects.first { $0.name == name }
        }
        // One patch aimed at one cluster: pub2's job-a differs from pub's and pub3's.
        #expect(object("pub", "job-a")?.value[path: "spec", "job", "parallelism"] == 2)
        #expect(object("pub2", "job-a")?.value[path: "spec", "job", "parallelism"] == 9)
        #expect(object("pub3", "job-a")?.value[path: "spec", "job", "parallelism"] == 2)
        #expect(object("pub", "job-a")?.specHash == object("pub3", "job-a")?.specHash)
        #expect(object("pub", "job-a")?.specHash != object("pub2", "job-a")?.specHash)
        #expect(object("edge", "job-b")?.value[path: "spec", "taskManager", "resource", "memory"] == "512m")
        #expect(object("pub2", "job-b")?.value[path: "spec", "taskManager", "resource", "memory"] == "1024m")
    }

    @Test("a patch that fails on several clusters is reported for each of them")
    func failuresNameEachCluster() throws {
        var files = Self.files
        files["environments/prod.yaml"] = SpecFixtures.environment("prod", namespace: "flink-prod", extra: """
              patches:
                - target: {name: job-a, tier: public}
                  jsonPatch:
                    - {op: remove, path: /spec/nothingHere}
            """)
        let specs = try SpecFixtures.load(files)
        let messages: [String]
        do {
            _ = try Renderer().render(specs)
            Issue.record("the patch cannot be applied, yet rendering succeeded")
            return
        } catch let error as DiagnosticError {
            messages = error.diagnostics.map(\.message)
        }
        var alone: [String] = []
        do {
            _ = try Self.oneByOne(specs)
        } catch let error as DiagnosticError {
            alone = error.diagnostics.map(\.message)
        }
        #expect(messages == alone)
        for cluster in ["pub", "pub2", "pub3"] {
            #expect(messages.contains { $0.contains("on cluster \(cluster):") }, "\(messages)")
        }
        #expect(!messages.contains { $0.contains("on cluster edge") })
    }
}
