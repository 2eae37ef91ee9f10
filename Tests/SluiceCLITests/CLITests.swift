import Foundation
import SluiceTestSupport
import SluiceYAML
import Testing

@Suite("The sluice command line")
struct CLITests {
    static let golden = Bundle.module.url(forResource: "Golden/render-specs-example", withExtension: "yaml")!

    @Test("render over specs-example matches the golden output")
    func goldenRender() async throws {
        let result = try await SluiceBinary.run(["render", "--path", "specs-example"])
        #expect(result.status == 0, "\(result.stderr)")
        let goldenSource = SluiceBinary.repositoryRoot.appendingPathComponent("Tests/SluiceCLITests/Golden/render-specs-example.yaml")
        if ProcessInfo.processInfo.environment["SLUICE_UPDATE_GOLDEN"] == "1" {
            try result.stdout.write(to: goldenSource, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: Self.golden, encoding: .utf8)
        #expect(result.stdout == expected, "render output changed; if intended, rerun with SLUICE_UPDATE_GOLDEN=1 and review the diff")
        // The stream parses back into the documents it claims to hold.
        let documents = try YAML.parse(result.stdout, file: "render")
        #expect(documents.count == result.stdout.split(separator: "\n").filter { $0 == "---" }.count)
        #expect(documents.count > 20)
    }

    @Test("render reads a revision straight from Git, and older revisions too")
    func renderFromGit() async throws {
        let repo = try TemporaryDirectory(prefix: "sluice-cli")
        try FileManager.default.copyItem(
            at: SluiceBinary.repositoryRoot.appendingPathComponent("specs-example"),
            to: repo.url.appendingPathComponent("specs"))
        try git(["init", "-q", "-b", "main"], in: repo.url)
        try git(["add", "-A"], in: repo.url)
        try git(["commit", "-qm", "first"], in: repo.url)
        let first = try git(["rev-parse", "HEAD"], in: repo.url).trimmingCharacters(in: .whitespacesAndNewlines)
        let job = repo.url.appendingPathComponent("specs/jobs/fraud-scoring.yaml")
        let text = try String(contentsOf: job, encoding: .utf8).replacingOccurrences(of: "parallelism: 4", with: "parallelism: 6")
        try text.write(to: job, atomically: true, encoding: .utf8)
        try git(["commit", "-qam", "second"], in: repo.url)
        // The working tree now differs from both commits; Git reads must not look at it.
        try "garbage: [".write(to: repo.url.appendingPathComponent("specs/jobs/broken.yaml"), atomically: true, encoding: .utf8)

        for (revision, parallelism) in [("HEAD", 6), ("HEAD~1", 4), (first, 4)] {
            let result = try await SluiceBinary.run(["render", "--repo", repo.path, "--revision", revision, "--path", "specs",
                                               "--cluster", "aws-eu-west-1", "--output", "json"])
            #expect(result.status == 0, "\(result.stderr)")
            let state = try JSON.decode(result.stdout)
            let objects = state[path: "clusters"]?[0]?["objects"]?.listValue ?? []
            let fraud = try #require(objects.first { $0[path: "metadata", "name"] == "fraud-scoring" })
            #expect(fraud[path: "spec", "job", "parallelism"] == .int(parallelism))
            let revisionMark = fraud[path: "metadata", "annotations", "sluice.dev/source-revision"]?.stringValue ?? ""
            #expect(revisionMark.count == 40)
            #expect(state["revision"]?.stringValue == revisionMark)
        }
        // Reading the working tree sees the broken file.
        let onDisk = try await SluiceBinary.run(["validate", "--repo", repo.path, "--path", "specs"])
        #expect(onDisk.status == 1)
        #expect(onDisk.stderr.contains("specs/jobs/broken.yaml:2:1: error: YAML syntax error"))
    }

    @Test("validate exit codes: 0 valid, 1 invalid with file:line:column, 2 unreadable")
    func exitCodes() async throws {
        let valid = try await SluiceBinary.run(["validate", "--path", "specs-example"])
        #expect(valid.status == 0, "\(valid.stderr)")
        #expect(valid.stdout.contains("valid: 6 clusters, 2 environments"))

        let dir = try TemporaryDirectory(prefix: "sluice-cli")
        try dir.write("c.yaml", "apiVersion: sluice.dev/v1alpha1\nkind: Cluster\nmetadata: {name: c1}\nspec: {tier: moon, driver: flink}\n")
        let invalid = try await SluiceBinary.run(["validate", "--repo", dir.path])
        #expect(invalid.status == 1)
        #expect(invalid.stderr.contains("c.yaml:4:14: error: spec.tier: unsupported value \"moon\""))

        let json = try await SluiceBinary.run(["validate", "--repo", dir.path, "--output", "json"])
        #expect(json.status == 1)
        let report = try JSON.decode(json.stdout)
        #expect(report["valid"] == false)
        #expect(report["diagnostics"]?[0]?["line"] == 4)

        let unknownRevision = try await SluiceBinary.run(["validate", "--repo", ".", "--revision", "no-such-branch-xyz", "--path", "specs-example"])
        #expect(unknownRevision.status == 2)
        #expect(unknownRevision.stderr.contains("no-such-branch-xyz"))

        let badFlag = try await SluiceBinary.run(["render", "--output", "xml"])
        #expect(badFlag.status == 2)

        let unknownCluster = try await SluiceBinary.run(["render", "--path", "specs-example", "--cluster", "nope"])
        #expect(unknownCluster.status == 2)
        #expect(unknownCluster.stderr.contains("no Cluster named nope"))
    }

    @discardableResult
    func git(_ arguments: [String], in directory: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["-c", "user.name=Sluice Test", "-c", "user.email=test@localhost"] + arguments
        process.currentDirectoryURL = directory
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return String(decoding: data, as: UTF8.self)
    }
}
