import Foundation
import SluiceRuntime
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("LogRotator")
struct LogRotatorTests {
    @Test("rolls over at the size limit, keeps a bounded number of files, and the writer goes on appending")
    func rotation() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-logs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("taskmanager-1.log").path
        // A writer like a child process: one O_APPEND descriptor for the whole test.
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        #expect(fd >= 0)
        defer { close(fd) }
        let rotator = LogRotator(maxBytes: 100, keep: 2)
        func write(_ text: String) { _ = text.withCString { Glibc.write(fd, $0, strlen($0)) } }
        func read(_ suffix: String) -> String? { try? String(contentsOfFile: path + suffix, encoding: .utf8) }

        write(String(repeating: "a", count: 60))
        #expect(try rotator.rotateIfNeeded(path) == false)
        write(String(repeating: "a", count: 60))
        #expect(try rotator.rotateIfNeeded(path) == true)
        #expect(read(".1")?.count == 120)
        #expect(read("")?.isEmpty == true)

        // The same descriptor writes at the start of the truncated file, not at offset 120.
        write(String(repeating: "b", count: 110))
        #expect(read("") == String(repeating: "b", count: 110))
        #expect(try rotator.rotateIfNeeded(path) == true)
        write(String(repeating: "c", count: 100))
        #expect(try rotator.rotateIfNeeded(path) == true)

        #expect(read(".1") == String(repeating: "c", count: 100))
        #expect(read(".2") == String(repeating: "b", count: 110))
        #expect(read(".3") == nil, "only `keep` rolled files remain")
        #expect(read("")?.isEmpty == true)
    }
}
