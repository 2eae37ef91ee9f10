import Foundation
@testable import SluiceCore
import Testing

@Suite("The journal at scale: index, fast reads, rotation")
struct JournalScaleTests {
    func directory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("sluice-journal-\(UUID().uuidString.prefix(8))")
    }

    static func slowDecode(_ line: String) -> JournalRecord? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = formatter.date(from: text) { return date }
            formatter.formatOptions = [.withInternetDateTime]
            guard let date = formatter.date(from: text) else { throw CocoaError(.coderReadCorrupt) }
            return date
        }
        return try? decoder.decode(JournalRecord.self, from: Data(line.utf8))
    }

    static func fastDecode(_ line: String) -> JournalRecord? {
        var copy = line
        return copy.withUTF8 { JournalLine.decode($0) }
    }

    @Test("times are written and read without a date formatter, as ISO 8601 with milliseconds")
    func times() throws {
        let date = Date(timeIntervalSince1970: 1_795_000_000.123)
        #expect(JournalTime.format(date) == "2026-11-18T11:06:40.123Z")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        #expect(JournalTime.format(date) == formatter.string(from: date))
        for text in ["2026-11-25T07:58:31.123Z", "2026-11-25T07:58:31Z", "2024-02-29T23:59:59.5Z", "1999-12-31T22:00:00+02:00", "2026-03-01T00:00:00.000Z"] {
            let ours = try #require(JournalTime.parse(text), "\(text)")
            formatter.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
            let reference = try #require(formatter.date(from: text))
            #expect(abs(ours.timeIntervalSince(reference)) < 0.0005, "\(text)")
        }
        for bad in ["", "2026-11-25", "2026-13-01T00:00:00Z", "2026-11-25T07:58:31", "2026-11-25T07:58:31.Z", "2026-11-25T07:58:31Zjunk"] {
            #expect(JournalTime.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("the fast line reader agrees with JSONDecoder, and leaves lines it does not know to it")
    func fastReader() throws {
        let lines = [
            #"{"cluster":"c","durationMilliseconds":12,"jobID":"j1","message":"quote \" slash \/ tab \t \u00e9 \ud83d\ude00","object":"FlinkDeployment.flink.apache.org ns\/a","phase":"outcome","savepointPath":"file:\/\/\/sp\/1","step":"stopWithSavepoint","succeeded":true,"time":"2026-11-25T07:58:31.123Z","triggerID":"t"}"#,
            #"{"cluster":"c","object":"o","phase":"intent","revision":"abc","specHash":"h","step":"apply","time":"2026-11-25T07:58:31Z"}"#,
            #" { "cluster" : "c" , "object" : "o" , "phase" : "outcome" , "step" : "rollback" , "succeeded" : false , "message" : null , "time" : "2026-11-25T07:58:31.5Z" } "#,
        ]
        for line in lines {
            let fast = try #require(Self.fastDecode(line), "\(line)")
            let slow = try #require(Self.slowDecode(line))
            #expect(fast == slow)
        }
        // A field a newer Sluice writes, a nested value, a fraction: not for the fast reader.
        let newer = #"{"cluster":"c","object":"o","phase":"intent","step":"apply","time":"2026-11-25T07:58:31Z","attempt":2}"#
        #expect(Self.fastDecode(newer) == nil)
        #expect(Self.fastDecode(#"{"cluster":"c","object":"o","phase":"intent","step":"apply","time":"2026-11-25T07:58:31Z","durationMilliseconds":1.5}"#) == nil)
        #expect(Self.fastDecode(#"{"cluster":"c","object":"o","phase":"intent","step":"apply","time":"2026-11-25T07:58:31Z","message":{"a":1}}"#) == nil)
        // ... yet the journal still reads the newer line through JSONDecoder.
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let journal = try Journal(directory: dir)
        try Data((newer + "\n").utf8).write(to: journal.file)
        #expect(try journal.records(cluster: "c", object: "o").count == 1)
    }

    @Test("records another process appends are read from the new bytes, after the index is loaded")
    func otherWriter() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try Journal(directory: dir), second = try Journal(directory: dir)
        try first.append(JournalRecord(cluster: "c", object: "o", step: .submit, phase: .intent, jobID: "j1"))
        #expect(try first.records(cluster: "c", object: "o").count == 1)
        try second.append(JournalRecord(cluster: "c", object: "o", step: .submit, phase: .outcome, jobID: "j1", succeeded: true))
        try first.append(JournalRecord(cluster: "c", object: "o", step: .savepoint, phase: .outcome, savepointPath: "file:///sp/2", succeeded: true))
        #expect(try first.records(cluster: "c", object: "o").map(\.step) == [.submit, .submit, .savepoint])
        #expect(try first.unfinishedIntent(cluster: "c", object: "o") == nil)
        #expect(try second.latestSavepoint(cluster: "c", object: "o") == "file:///sp/2")
    }

    /// A history with every kind of question in it, across many objects.
    static func history(objects: Int, rounds: Int) -> [JournalRecord] {
        var records: [JournalRecord] = []
        var time = Date(timeIntervalSince1970: 1_795_000_000)
        for round in 0..<rounds {
            for object in 0..<objects {
                time += 0.001
                let name = "FlinkDeployment.flink.apache.org ns/job-\(object)"
                records.append(JournalRecord(time: time, cluster: "c\(object % 3)", object: name, step: .stopWithSavepoint, phase: .intent, triggerID: "t\(round)"))
                if (round + object) % 5 != 0 {
                    records.append(JournalRecord(time: time, cluster: "c\(object % 3)", object: name, step: .stopWithSavepoint, phase: .outcome,
                                                 savepointPath: "file:///sp/\(object)/\(round)", succeeded: true))
                }
                records.append(JournalRecord(time: time, cluster: "c\(object % 3)", object: name, step: .rollback, phase: .outcome,
                                             specHash: "h\(round)", succeeded: round % 2 == 0))
                if round == rounds - 1, object % 4 == 0 {
                    records.append(JournalRecord(time: time, cluster: "c\(object % 3)", object: name, step: .submit, phase: .intent, jobID: "j\(round)"))
                }
            }
        }
        return records
    }

    @Test("rotation keeps the journal bounded and every answer the same, and old segments go by retention")
    func rotation() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let journal = try Journal(directory: dir, retention: JournalRetention(segmentBytes: 16 << 10, keepSegments: 2))
        let reference = try Journal(directory: dir.appendingPathComponent("reference"), retention: JournalRetention(segmentBytes: 1 << 30))
        let history = Self.history(objects: 20, rounds: 30)
        for batch in stride(from: 0, to: history.count, by: 7) {
            let slice = Array(history[batch..<min(batch + 7, history.count)])
            try journal.append(contentsOf: slice)
            try reference.append(contentsOf: slice)
        }
        let segments = JournalFiles.segments(in: dir)
        #expect(segments.count == 2, "segments kept: \(segments.map(\.number))")
        #expect(FileManager.default.fileExists(atPath: journal.snapshotFile.path))
        let size = try #require(try FileManager.default.attributesOfItem(atPath: journal.file.path)[.size] as? Int)
        #expect(size < 16 << 10)
        // A new process (a fresh Journal) reads the snapshot and the newest lines only.
        let reopened = try Journal(directory: dir, retention: journal.retention)
        #expect(try reopened.records().count < history.count / 2)
        for object in 0..<20 {
            let cluster = "c\(object % 3)", name = "FlinkDeployment.flink.apache.org ns/job-\(object)"
            for candidate in [journal, reopened] {
                #expect(try candidate.unfinishedIntent(cluster: cluster, object: name) == reference.unfinishedIntent(cluster: cluster, object: name))
                #expect(try candidate.latestSavepoint(cluster: cluster, object: name) == reference.latestSavepoint(cluster: cluster, object: name))
                let rolledBack: (JournalRecord) -> Bool = { $0.step == .rollback && $0.phase == .outcome && $0.succeeded == true }
                #expect(try candidate.lastRecord(cluster: cluster, object: name, where: rolledBack)
                        == reference.lastRecord(cluster: cluster, object: name, where: rolledBack))
            }
        }
    }

    @Test("a crash in the middle of a rotation loses nothing: the renamed segment is read until the snapshot covers it")
    func crashDuringRotation() throws {
        let dir = directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let retention = JournalRetention(segmentBytes: 1 << 30, keepSegments: 2)
        let journal = try Journal(directory: dir, retention: retention)
        try journal.append(JournalRecord(cluster: "c", object: "o", step: .stopWithSavepoint, phase: .outcome, savepointPath: "file:///sp/1", succeeded: true))
        try journal.append(JournalRecord(cluster: "c", object: "o", step: .submit, phase: .intent, jobID: "j2"))
        // Where a rotation dies after renaming the file and before writing the snapshot (and left
        // a half-written temporary snapshot behind).
        #expect(rename(journal.file.path, JournalFiles.segmentURL(dir, 1).path) == 0)
        try Data("{\"snapshotThrough\":1}\n{\"clus".utf8).write(to: journal.snapshotFile.appendingPathExtension("tmp"))
        let recovered = try Journal(directory: dir, retention: retention)
        #expect(try recovered.unfinishedIntent(cluster: "c", object: "o")?.jobID == "j2")
        #expect(try recovered.latestSavepoint(cluster: "c", object: "o") == "file:///sp/1")
        // The next rotation folds the orphaned segment into the snapshot.
        let small = try Journal(directory: dir, retention: JournalRetention(segmentBytes: 4096, keepSegments: 0))
        for i in 0..<40 { try small.append(JournalRecord(cluster: "c", object: "other-\(i)", step: .apply, phase: .intent, message: String(repeating: "x", count: 100))) }
        #expect(JournalFiles.segments(in: dir).isEmpty)
        let after = try Journal(directory: dir, retention: retention)
        #expect(try after.unfinishedIntent(cluster: "c", object: "o")?.jobID == "j2")
        #expect(try after.latestSavepoint(cluster: "c", object: "o") == "file:///sp/1")
    }
}
