import Foundation
import SluiceCore
import Testing

@Suite("The journal")
struct JournalTests {
    func directory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("sluice-journal-\(UUID().uuidString.prefix(8))")
    }

    @Test("records survive reopening, in order")
    func roundTrip() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let journal = try Journal(directory: dir)
        try journal.append(JournalRecord(cluster: "c", object: "o", step: .submit, phase: .intent, revision: "r1", jobID: "j1"))
        try journal.append(JournalRecord(cluster: "c", object: "o", step: .submit, phase: .outcome, jobID: "j1", succeeded: true, durationMilliseconds: 12))
        let reopened = try Journal(directory: dir).records()
        #expect(reopened.map(\.step) == [.submit, .submit])
        #expect(reopened.map(\.phase) == [.intent, .outcome])
        #expect(reopened[1].durationMilliseconds == 12)
    }

    @Test("an intent without an outcome is what a crash interrupted")
    func unfinished() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let journal = try Journal(directory: dir)
        try journal.append(JournalRecord(cluster: "c", object: "o", step: .stopWithSavepoint, phase: .intent, jobID: "j1", triggerID: "t1"))
        try journal.append(JournalRecord(cluster: "c", object: "o", step: .stopWithSavepoint, phase: .outcome, jobID: "j1", triggerID: "t1", savepointPath: "file:///sp/1", succeeded: true))
        try journal.append(JournalRecord(cluster: "c", object: "o", step: .submit, phase: .intent, jobID: "j2", savepointPath: "file:///sp/1"))
        try journal.append(JournalRecord(cluster: "c", object: "other", step: .submit, phase: .intent, jobID: "x"))
        let open = try #require(try journal.unfinishedIntent(cluster: "c", object: "o"))
        #expect(open.step == .submit && open.jobID == "j2")
        #expect(try journal.latestSavepoint(cluster: "c", object: "o") == "file:///sp/1")
        try journal.append(JournalRecord(cluster: "c", object: "o", step: .submit, phase: .outcome, jobID: "j2", succeeded: true))
        #expect(try journal.unfinishedIntent(cluster: "c", object: "o") == nil)
    }

    @Test("a line torn by a crash is skipped and later records still read")
    func tornLine() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let journal = try Journal(directory: dir)
        try journal.append(JournalRecord(cluster: "c", object: "o", step: .apply, phase: .intent))
        let handle = try FileHandle(forWritingTo: journal.file)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"cluster\":\"c\",\"obj".utf8))  // a write cut off mid-line
        try handle.close()
        try journal.append(JournalRecord(cluster: "c", object: "o", step: .apply, phase: .outcome, succeeded: true))
        let records = try journal.records()
        #expect(records.count == 2)
        #expect(records.last?.succeeded == true)
    }

    @Test("concurrent appends from many tasks all land as whole lines")
    func concurrent() async throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let journal = try Journal(directory: dir)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<50 {
                group.addTask { try journal.append(JournalRecord(cluster: "c\(i % 5)", object: "o\(i)", step: .apply, phase: .intent)) }
            }
            try await group.waitForAll()
        }
        #expect(try journal.records().count == 50)
    }
}
