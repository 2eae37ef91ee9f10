import Foundation
import SluiceCore
import SluiceGit
import SluiceTestSupport
import Testing

/// Reading a commit's files: sizes from the blob header before any content, no escape from the
/// root, and symlinks and submodules listed as skipped instead of read.
@Suite("Commit trees are bounded")
struct TreeLimitsTests {
    @Test("a blob over the limit is refused from its header and remembered by id")
    func refusedBlob() throws {
        let fixture = try GitFixtureRepo()
        let big = String(repeating: "a: 1\n", count: 50_000)  // 250,000 bytes
        let head = try fixture.commit("big", files: ["specs/big.yaml": big, "specs/small.yaml": "a: 1\n"])
        let repository = try GitRepository.open(path: fixture.path)
        let tree = try repository.tree(at: GitCommitID(hex: head))
        #expect(try tree.read("specs/small.yaml", maxBytes: 1024) == Array("a: 1\n".utf8))
        let error = #expect(throws: FileTooLarge.self) { try tree.read("specs/big.yaml", maxBytes: 1024) }
        #expect(error?.size == 250_000)
        #expect(error?.message.contains("specs/big.yaml is 250000 bytes") == true)

        // Remembered: with the object gone from disk, the refusal still comes (from memory, not the odb).
        let blobID = try git(["rev-parse", "HEAD:specs/big.yaml"], in: fixture.url).trimmingCharacters(in: .whitespacesAndNewlines)
        let object = fixture.url.appendingPathComponent(".git/objects/\(blobID.prefix(2))/\(blobID.dropFirst(2))")
        try FileManager.default.removeItem(at: object)
        #expect(throws: FileTooLarge.self) { try tree.read("specs/big.yaml", maxBytes: 1024) }
        // Within the limit, the same blob id is read (and now fails, as it is gone): the memory only holds refusals.
        #expect(throws: GitError.self) { try tree.read("specs/big.yaml", maxBytes: 1 << 20) }
    }

    @Test("paths cannot leave the root; symlinks are skipped with their reason, never read")
    func pathsAndLinks() throws {
        let fixture = try GitFixtureRepo()
        _ = try fixture.directory.write("specs/a.yaml", "a: 1\n")
        try FileManager.default.createSymbolicLink(atPath: fixture.url.appendingPathComponent("specs/link.yaml").path, withDestinationPath: "/etc/passwd")
        let head = try fixture.commit("links")
        let tree = try GitRepository.open(path: fixture.path).tree(at: GitCommitID(hex: head))
        #expect(try tree.files(under: "specs") == ["specs/a.yaml"])
        #expect(tree.skippedEntries(under: "specs") == [SkippedEntry(path: "specs/link.yaml", reason: "a symbolic link (not followed)")])
        for path in ["../..", "specs/../../x", "/etc"] {
            #expect(throws: PathOutsideTree.self) { try tree.files(under: path) }
        }
    }
}
