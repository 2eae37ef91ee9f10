import Foundation
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing

/// Reading repositories made with the real `git` command line, without any checkout.
@Suite("Reading local repositories")
struct LocalRepositoryTests {
    @Test("resolve branches, tags, annotated tags, short ids, HEAD and HEAD~1")
    func resolve() throws {
        let fixture = try GitFixtureRepo()
        let first = try fixture.commit("first", files: ["specs/a.yaml": "a: 1\n"])
        try fixture.tag("v1")
        try fixture.tag("v1-annotated", annotated: true)
        try git(["branch", "release"], in: fixture.url)
        let second = try fixture.commit("second", files: ["specs/a.yaml": "a: 2\n"])

        let repo = try GitRepository.open(path: fixture.path)
        #expect(try repo.resolve("HEAD").hex == second)
        #expect(try repo.resolve("main").hex == second)
        #expect(try repo.resolve("release").hex == first)
        #expect(try repo.resolve("HEAD~1").hex == first)
        #expect(try repo.resolve("main~1").hex == first)
        #expect(try repo.resolve("v1").hex == first)
        #expect(try repo.resolve("v1-annotated").hex == first)  // peeled from the tag object
        #expect(try repo.resolve(String(first.prefix(8))).hex == first)
        #expect(try repo.resolve(first).hex == first)
    }

    @Test("a bare repository opens too, and the working tree is never read")
    func bareAndWorkingTree() throws {
        let fixture = try GitFixtureRepo()
        let head = try fixture.commit("first", files: ["a.yaml": "committed\n"])
        try fixture.directory.write("a.yaml", "uncommitted\n")
        let repo = try GitRepository.open(path: fixture.path)
        #expect(try String(decoding: repo.read("a.yaml", at: repo.resolve("HEAD")), as: UTF8.self) == "committed\n")

        let bareDir = try TemporaryDirectory(prefix: "sluice-bare")
        try makeBareRepository(bareDir.url)
        try fixture.push(to: bareDir.path)
        let bare = try GitRepository.open(path: bareDir.path)
        #expect(try bare.resolve("main").hex == head)
        #expect(try bare.files(at: bare.resolve("main")) == ["a.yaml"])
    }

    @Test("files and contents at an old commit, listing under a folder")
    func readAtOldCommit() throws {
        let fixture = try GitFixtureRepo()
        let first = try fixture.commit("first", files: ["specs/a.yaml": "a: 1\n", "README.md": "hi"])
        try fixture.commit("second", files: ["specs/a.yaml": "a: 2\n", "specs/sub/b.yaml": "b: 1\n", "other/c.yaml": "c"],
                           deleting: ["README.md"])
        let repo = try GitRepository.open(path: fixture.path)
        let old = GitCommitID(hex: first)
        let head = try repo.resolve("HEAD")

        #expect(try repo.files(at: old) == ["README.md", "specs/a.yaml"])
        #expect(try String(decoding: repo.read("specs/a.yaml", at: old), as: UTF8.self) == "a: 1\n")
        #expect(try String(decoding: repo.read("README.md", at: old), as: UTF8.self) == "hi")
        #expect(try repo.files(at: head) == ["other/c.yaml", "specs/a.yaml", "specs/sub/b.yaml"])
        #expect(try repo.files(at: head, under: "specs") == ["specs/a.yaml", "specs/sub/b.yaml"])
        #expect(try repo.files(at: head, under: "specs/sub/") == ["specs/sub/b.yaml"])
        #expect(try String(decoding: repo.read("specs/a.yaml", at: head), as: UTF8.self) == "a: 2\n")

        let tree = try repo.tree(at: old)
        #expect(tree.displayName.hasSuffix("@\(old.short)"))
        #expect(try tree.files(under: "") == ["README.md", "specs/a.yaml"])
        #expect(try tree.files(under: "./specs") == ["specs/a.yaml"])
        #expect(try String(decoding: tree.read("specs/a.yaml"), as: UTF8.self) == "a: 1\n")
    }

    @Test("unknown refs, missing paths and non-repositories give errors that name them")
    func errors() throws {
        let fixture = try GitFixtureRepo()
        try fixture.commit("a", files: ["x.yaml": "x", "dir/y.yaml": "y"])
        let repo = try GitRepository.open(path: fixture.path)
        let unknown = #expect(throws: GitError.self) { try repo.resolve("no-such-branch") }
        #expect(unknown?.kind == .unknownRevision)
        #expect(unknown?.message.contains("\"no-such-branch\"") == true)
        #expect(unknown?.message.contains(fixture.path) == true)
        #expect(unknown?.hint?.contains("branches and tags") == true)

        let head = try repo.resolve("HEAD")
        let missingFolder = #expect(throws: GitError.self) { try repo.files(at: head, under: "specs") }
        #expect(missingFolder?.kind == .missingPath)
        #expect(missingFolder?.message.contains("specs") == true)
        let missingFile = #expect(throws: GitError.self) { try repo.read("nope.yaml", at: head) }
        #expect(missingFile?.kind == .missingPath)
        #expect(missingFile?.message.contains("nope.yaml") == true)
        let folder = #expect(throws: GitError.self) { try repo.read("dir", at: head) }
        #expect(folder?.message.contains("folder") == true)
        let unknownCommit = #expect(throws: GitError.self) {
            try repo.tree(at: GitCommitID(hex: String(repeating: "ab", count: 20)))
        }
        #expect(unknownCommit?.kind == .unknownRevision)

        let notRepo = try TemporaryDirectory()
        let error = #expect(throws: GitError.self) { try GitRepository.open(path: notRepo.path) }
        #expect(error?.kind == .notARepository)
        #expect(error?.message.contains(notRepo.path) == true)
    }

    // How fast is measured by `make bench` (spec-from-git), not here: a test run's load makes any time bound flaky.
    @Test("listing and reading 1,000 small files returns every file and every byte")
    func thousandFiles() throws {
        let fixture = try GitFixtureRepo()
        var files: [String: String] = [:]
        for i in 0..<1000 { files["jobs/team\(i % 10)/job\(i).yaml"] = "name: job\(i)\nparallelism: \(i % 7 + 1)\n" }
        try fixture.commit("many", files: files)
        let repo = try GitRepository.open(path: fixture.path)
        let tree = try repo.tree(at: repo.resolve("HEAD"))
        let paths = try tree.files(under: "jobs")
        var bytes = 0
        for path in paths { bytes += try tree.read(path).count }
        #expect(paths.count == 1000)
        #expect(bytes == files.values.reduce(0) { $0 + $1.utf8.count })
    }
}
