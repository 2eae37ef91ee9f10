import Foundation

/// Sluice's append-only, crash-safe record of what it did: every lifecycle step, trigger id,
/// savepoint path, revision, outcome and duration, one JSON object per line (`journal.jsonl`).
///
/// History and recovery read it; correctness never depends on it: live state always comes from
/// the clusters, so a lost journal costs history, not a wrong sync.
public final class Journal: @unchecked Sendable {
    public let file: URL
    private let lock = NSLock()
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        // Milliseconds matter: step durations and gaps between steps are read from these times.
        e.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(JournalTime.format(date))
        }
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    /// Opens (creating if needed) the journal in `directory`.
    public init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        file = directory.appendingPathComponent("journal.jsonl")
        if !FileManager.default.fileExists(atPath: file.path) {
            _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        }
    }

    /// Appends one record and flushes it to disk before returning: an intent must be durable
    /// before the call it announces is made.
    public func append(_ record: JournalRecord) throws {
        var line = try encoder.encode(record)
        line.append(UInt8(ascii: "\n"))
        lock.lock()
        defer { lock.unlock() }
        let fd = open(file.path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw JournalError(message: "cannot open \(file.path) for appending: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        // A torn line from an earlier crash must not swallow this record: start on a new line.
        var prefix = Data()
        if let size = try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int, size > 0,
           let handle = FileHandle(forReadingAtPath: file.path) {
            try? handle.seek(toOffset: UInt64(size - 1))
            if handle.readData(ofLength: 1) != Data([UInt8(ascii: "\n")]) { prefix.append(UInt8(ascii: "\n")) }
            try? handle.close()
        }
        let bytes = prefix + line
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw JournalError(message: "cannot write \(file.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Every readable record, oldest first. A line cut short by a crash is skipped.
    public func records() throws -> [JournalRecord] {
        lock.lock()
        let data = (try? Data(contentsOf: file)) ?? Data()
        lock.unlock()
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = JournalTime.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 time: \(text)"))
            }
            return date
        }
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? decoder.decode(JournalRecord.self, from: Data($0)) }
    }

    /// The records of one object on one cluster, oldest first.
    public func records(cluster: String, object: String) throws -> [JournalRecord] {
        try records().filter { $0.cluster == cluster && $0.object == object }
    }

    /// An intent that has no outcome after it: the step a crash interrupted, to be finished with
    /// the same ids.
    public func unfinishedIntent(cluster: String, object: String) throws -> JournalRecord? {
        var open: JournalRecord?
        for record in try records(cluster: cluster, object: object) {
            switch record.phase {
            case .intent: open = record
            case .outcome where open?.step == record.step: open = nil
            case .outcome: continue
            }
        }
        return open
    }

    /// The newest savepoint recorded for an object (from a stop or a savepoint trigger), if any.
    public func latestSavepoint(cluster: String, object: String) throws -> String? {
        try records(cluster: cluster, object: object).last { $0.phase == .outcome && $0.succeeded == true && $0.savepointPath != nil }?.savepointPath
    }
}

/// The journal file could not be written.
public struct JournalError: SluiceError {
    public var message: String
    public var hint: String? { "check that Sluice's state directory is writable and the disk is not full" }
}

/// ISO 8601 times with milliseconds (`2026-11-25T07:58:31.123Z`); older whole-second records still read.
enum JournalTime {
    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
