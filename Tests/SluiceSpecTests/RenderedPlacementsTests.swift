import Foundation
import SluiceCore
import SluiceGit
import SluiceSpec
import SluiceTestSupport
import SluiceYAML
import Testing

/// `sluice check` renders the base and then the head, and the head takes each placement the
/// change leaves alone from the base's rendering, stamped with its own revision. What it gives
/// must be exactly what rendering the head alone gives.
@Suite("Placements shared between two revisions")
struct RenderedPlacementsTests {
    static let base: [String: String] = [
        "clusters/pub.yaml": SpecFixtures.cluster("pub", tier: "public"),
        "clusters/edge.yaml": SpecFixtures.cluster("edge", tier: "edge", driver: "runtime"),
        "environments/prod.yaml": SpecFixtures.environment("prod", namespace: "flink-prod", extra: """
              patches:
                - target: {kind: FlinkDeployment, tier: edge}
                  merge:
                    spec:
                      taskManager: {resource: {memory: 512m}}
                - target: {name: job-c}
                  jsonPatch:
                    - {op: replace, path: /spec/job/parallelism, value: 9}
            """),
        "environments/staging.yaml": SpecFixtures.environment("staging", namespace: "flink-staging", stage: "production"),
        "jobs/a.yaml": SpecFixtures.deployment("job-a"),
        "jobs/b.yaml": SpecFixtures.deployment("job-b", parallelism: 3),
        "jobs/c.yaml": SpecFixtures.deployment("job-c"),
    ]

    @Test("the head's unchanged placements come from the base; the head renders as it would alone")
    func headAsAlone() throws {
        let fixture = try GitFixtureRepo()
        let baseCommit = try fixture.commit("base", files: Self.base)
        let headCommit = try fixture.commit("job-b scales, staging moves", files: [
            "jobs/b.yaml": SpecFixtures.deployment("job-b", parallelism: 5),
            "environments/staging.yaml": SpecFixtures.environment("staging", namespace: "flink-staging-2", stage: "production"),
        ])
        let repository = try GitRepository.open(path: fixture.path)
        let baseTree = try repository.tree(at: GitCommitID(hex: baseCommit)), headTree = try repository.tree(at: GitCommitID(hex: headCommit))
        let alone = try Renderer().render(SpecLoader().load(from: headTree, revision: headCommit))

        let loader = SpecLoader(parsedFiles: ParsedFiles())
        var renderer = Renderer()
        let placements = RenderedPlacements()
        renderer.reuse = placements
        let baseState = try renderer.render(loader.load(from: baseTree, revision: baseCommit))
        let kept = placements.count
        // job-c's placements in prod carry a JSON patch: not kept. 3 jobs in staging, a and b in prod, a and b on the edge.
        #expect(kept == 7)
        let shared = try renderer.render(loader.load(from: headTree, revision: headCommit))
        // New: job-b in prod and on the edge, and the three of staging (another namespace).
        #expect(placements.count == kept + 5)

        #expect(shared.clusters.map(\.cluster.name) == alone.clusters.map(\.cluster.name))
        for (a, b) in zip(shared.clusters, alone.clusters) {
            #expect(a.objects.map(\.identity) == b.objects.map(\.identity))
            #expect(a.objects.map { JSON.encodedBytes($0.value) } == b.objects.map { JSON.encodedBytes($0.value) }, "\(a.cluster.name)")
            #expect(a.objects.map(\.specHash) == b.objects.map(\.specHash))
            #expect(a.objects.map(\.revision) == b.objects.map(\.revision))
            #expect(a.objects.map(\.source) == b.objects.map(\.source))
            #expect(a.objects.allSatisfy { $0.cluster == a.cluster.name && $0.revision == headCommit })
            #expect(a.objects.allSatisfy { $0.value[path: "metadata", "annotations", Ownership.revisionAnnotation]?.stringValue == headCommit })
        }

        // job-a in prod on pub was taken from the base: its spec is the base's storage.
        func object(_ state: DesiredState, _ name: String, _ namespace: String) -> DesiredObject? {
            state.clusters.first { $0.cluster.name == "pub" }?.objects.first { $0.name == name && $0.identity.namespace == namespace }
        }
        let before = try #require(object(baseState, "job-a", "flink-prod")), after = try #require(object(shared, "job-a", "flink-prod"))
        #expect(StorageIdentity(try #require(before.value["spec"])) == StorageIdentity(try #require(after.value["spec"])))
        #expect(before.specHash == after.specHash)
        #expect(after.value[path: "spec", "job", "parallelism"] == 2)
        #expect(object(shared, "job-b", "flink-prod")?.value[path: "spec", "job", "parallelism"] == 5)
    }
}
