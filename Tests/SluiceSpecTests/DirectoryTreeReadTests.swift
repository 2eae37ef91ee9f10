import Foundation
import SluiceCore
import SluiceSpec
import SluiceTestSupport
import Testing

/// A working tree's files are read into arrays of their own size: whole, byte for byte, and
/// refused over the limit before or while reading.
@Suite("Reading files of a working tree")
struct DirectoryTreeReadTests {
    @Test("empty, small and multi-chunk files come back byte for byte")
    func wholeFiles() throws {
        let dir = try TemporaryDirectory()
        let large = String((0..<200_000).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
        _ = try dir.write("empty.yaml", "")
        _ = try dir.write("small.yaml", "a: 1\n")
        _ = try dir.write("large.yaml", large)
        let tree = DirectoryTree(path: dir.path)
        #expect(try tree.read("empty.yaml") == [])
        #expect(try tree.read("small.yaml") == Array("a: 1\n".utf8))
        #expect(try tree.read("large.yaml") == Array(large.utf8))
    }

    @Test("a file at the limit is read; one byte over is refused with its size")
    func limit() throws {
        let dir = try TemporaryDirectory()
        _ = try dir.write("at.yaml", String(repeating: "x", count: 1024))
        _ = try dir.write("over.yaml", String(repeating: "x", count: 1025))
        let tree = DirectoryTree(path: dir.path)
        #expect(try tree.read("at.yaml", maxBytes: 1024).count == 1024)
        let error = #expect(throws: FileTooLarge.self) { try tree.read("over.yaml", maxBytes: 1024) }
        #expect(error?.size == 1025)
        #expect(error?.file == "over.yaml")
    }
}
