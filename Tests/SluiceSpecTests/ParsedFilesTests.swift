import Foundation
import SluiceCore
import SluiceGit
@testable import SluiceSpec
import SluiceTestSupport
import Testing

/// `sluice check` loads two revisions of one repository; a file the change leaves alone (same
/// path, same blob) is read and parsed once, and both loads are what separate loads would give.
@Suite("Loads of two revisions share their unchanged files")
struct ParsedFilesTests {
    @Test("a file unchanged between two commits is read once; the head loads as it would alone")
    func unchangedFilesReadOnce() throws {
        let fixture = try GitFixtureRepo()
        let base = try fixture.commit("base", files: [
            "clusters/a.yaml": SpecFixtures.cluster("a"),
            "environments/prod.yaml": SpecFixtures.environment("prod", namespace: "shop"),
            "jobs/one.yaml": SpecFixtures.deployment("one"),
            "jobs/two.yaml": SpecFixtures.deployment("two"),
        ])
        let head = try fixture.commit("two scales out", files: ["jobs/two.yaml": SpecFixtures.deployment("two", parallelism: 4)])
        let repository = try GitRepository.open(path: fixture.path)
        let baseTree = try repository.tree(at: GitCommitID(hex: base))
        let headTree = try repository.tree(at: GitCommitID(hex: head))
        let alone = try SpecLoader().load(from: headTree, revision: head)

        let parsed = ParsedFiles()
        let loader = SpecLoader(parsedFiles: parsed)
        _ = try loader.load(from: baseTree, revision: base)
        #expect(parsed.count == 4)

        // With the unchanged files' blobs gone from disk, only a load that does not read them succeeds.
        for path in ["clusters/a.yaml", "environments/prod.yaml", "jobs/one.yaml"] {
            let blob = try git(["rev-parse", "\(head):\(path)"], in: fixture.url).trimmingCharacters(in: .whitespacesAndNewlines)
            try FileManager.default.removeItem(at: fixture.url.appendingPathComponent(".git/objects/\(blob.prefix(2))/\(blob.dropFirst(2))"))
        }
        #expect(throws: (any Error).self) { try SpecLoader().load(from: GitRepository.open(path: fixture.path).tree(at: GitCommitID(hex: head)), revision: head) }
        let shared = try loader.load(from: headTree, revision: head)
        #expect(parsed.count == 5, "the changed file is kept beside its base version")

        #expect(shared.revision == head)
        #expect(shared.workloads.map(\.value) == alone.workloads.map(\.value))
        #expect(shared.workloads.map(\.location) == alone.workloads.map(\.location))
        #expect(shared.clusters.map(\.name) == alone.clusters.map(\.name))
        #expect(shared.environments.map(\.name) == alone.environments.map(\.name))
        #expect(shared.workloads.first { $0.name == "two" }?.value[path: "spec", "job", "parallelism"] == 4)
    }

    /// The checks that read one document alone (its name and labels, its CRD schema) are kept
    /// with the parse, so the head does not check its unchanged documents again, and still
    /// reports what they found, where a separate load reports it.
    @Test("an unchanged document is checked once; its problems are reported at both revisions")
    func unchangedDocumentsCheckedOnce() throws {
        let fixture = try GitFixtureRepo()
        let base = try fixture.commit("base", files: [
            "clusters/a.yaml": SpecFixtures.cluster("a"),
            "environments/prod.yaml": SpecFixtures.environment("prod", namespace: "shop"),
            "jobs/one.yaml": SpecFixtures.deployment("one", labels: "team/a/b: x"),
            "jobs/two.yaml": SpecFixtures.deployment("two"),
        ])
        let head = try fixture.commit("two scales out", files: ["jobs/two.yaml": SpecFixtures.deployment("two", parallelism: 4)])
        let repository = try GitRepository.open(path: fixture.path)
        func diagnostics(_ load: () throws -> SpecSet) -> [Diagnostic] {
            do {
                _ = try load()
                return []
            } catch let error as DiagnosticError {
                return error.diagnostics
            } catch {
                return [Diagnostic(.error, at: nil, "\(error)")]
            }
        }
        let alone = diagnostics { try SpecLoader().load(from: repository.tree(at: GitCommitID(hex: head)), revision: head) }
        #expect(alone.contains { $0.message.contains("invalid key \"team/a/b\"") && $0.location?.file == "jobs/one.yaml" })

        let parsed = ParsedFiles()
        let loader = SpecLoader(parsedFiles: parsed)
        let atBase = diagnostics { try loader.load(from: repository.tree(at: GitCommitID(hex: base)), revision: base) }
        #expect(atBase == alone)
        #expect(parsed.checkedCount == 4)
        let atHead = diagnostics { try loader.load(from: repository.tree(at: GitCommitID(hex: head)), revision: head) }
        #expect(atHead == alone, "the kept checks of jobs/one.yaml are reported as a fresh check reports them")
        #expect(parsed.checkedCount == 5, "only the changed document is checked again")
    }

    @Test("a working tree names no content, so nothing of it is kept")
    func workingTreeKeepsNothing() throws {
        let fixture = try GitFixtureRepo()
        try fixture.commit("specs", files: [
            "clusters/a.yaml": SpecFixtures.cluster("a"),
            "environments/prod.yaml": SpecFixtures.environment("prod", namespace: "shop"),
            "jobs/one.yaml": SpecFixtures.deployment("one"),
        ])
        let parsed = ParsedFiles()
        let set = try SpecLoader(parsedFiles: parsed).load(from: DirectoryTree(path: fixture.path), revision: "working-tree")
        #expect(set.workloads.count == 1)
        #expect(parsed.count == 0)
        #expect(parsed.checkedCount == 0, "no document checks are kept for a tree whose files cannot be shared")
    }
}
