import Foundation
import SluiceFlink
import SluiceTestSupport
import Testing

/// Where Sluice finds a job's state on disk, and what it accepts as a restore point (issue 12).
@Suite("State locator")
struct StateLocatorTests {
    static func touch(_ directory: URL, metadata: Bool = true) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if metadata { try Data("m".utf8).write(to: directory.appendingPathComponent("_metadata")) }
    }

    @Test("Flink's in-memory marker and incomplete local checkpoints are not restore points; remote paths are trusted")
    func usable() throws {
        let work = try TemporaryDirectory(prefix: "sluice-locator")
        #expect(!StateLocator.isAddressable("<checkpoint-not-externally-addressable>"))
        #expect(!StateLocator.isUsable("<checkpoint-not-externally-addressable>"))
        #expect(!StateLocator.isUsable(nil))
        let complete = work.url.appendingPathComponent("chk-1")
        let incomplete = work.url.appendingPathComponent("chk-2")
        try Self.touch(complete)
        try Self.touch(incomplete, metadata: false)
        #expect(StateLocator.isUsable("file:" + complete.path))
        #expect(StateLocator.isUsable(complete.absoluteString))
        #expect(!StateLocator.isUsable("file:" + incomplete.path))
        #expect(StateLocator.isComplete("s3://bucket/cp/chk-9") == nil)
        #expect(StateLocator.isUsable("s3://bucket/cp/chk-9"))
    }

    @Test("retained checkpoints: the newest complete chk-N of each owned job only")
    func retained() throws {
        let work = try TemporaryDirectory(prefix: "sluice-locator")
        let mine = "51ce0123456789ab00000001deadbeef"
        let other = "51cefedcba987654000000010badf00d"
        try Self.touch(work.url.appendingPathComponent("\(mine)/chk-3"))
        try Self.touch(work.url.appendingPathComponent("\(mine)/chk-12"))
        try Self.touch(work.url.appendingPathComponent("\(mine)/chk-13"), metadata: false)  // being written
        try Self.touch(work.url.appendingPathComponent("\(other)/chk-40"))
        let found = StateLocator.retainedCheckpoints(in: work.url.absoluteString) { $0.hasPrefix("51ce0123456789ab") }
        #expect(found.map(\.path) == ["file:" + work.url.appendingPathComponent("\(mine)/chk-12").path])
        #expect(StateLocator.newestRetainedCheckpoint(near: "file:" + work.url.appendingPathComponent("\(mine)/chk-3").path)?.path.hasSuffix("/chk-12") == true)
        #expect(StateLocator.retainedCheckpoints(in: "s3://bucket/cp") { _ in true }.isEmpty, "remote directories are not listed")
    }

    @Test("savepoints of a job are found by the job id's first six digits, written after a time")
    func savepoints() throws {
        let work = try TemporaryDirectory(prefix: "sluice-locator")
        let job = "51ce0123456789ab00000001deadbeef"
        try Self.touch(work.url.appendingPathComponent("savepoint-51ce01-aaaaaaaaaaaa"))
        try Self.touch(work.url.appendingPathComponent("savepoint-51ce01-bbbbbbbbbbbb"), metadata: false)
        try Self.touch(work.url.appendingPathComponent("savepoint-777777-cccccccccccc"))
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let found = StateLocator.savepoints(in: work.url.absoluteString, of: job, since: now - 60_000)
        #expect(found.map { URL(fileURLWithPath: String($0.path.dropFirst(5))).lastPathComponent } == ["savepoint-51ce01-aaaaaaaaaaaa"])
        #expect(StateLocator.savepoints(in: work.url.absoluteString, of: job, since: now + 60_000).isEmpty, "older than the intent")
    }
}
