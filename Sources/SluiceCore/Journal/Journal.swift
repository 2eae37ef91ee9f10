#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Sluice's append-only, crash-safe record of what it did: every lifecycle step, trigger id,
/// savepoint path, revision, outcome and duration, one JSON object per line (`journal.jsonl`).
///
/// History and recovery read it; correctness never depends on it: live state always comes from
/// the clusters, so a lost journal costs history, not a wrong sync.
///
/// Reads go through an in-memory index keyed by object, loaded once and then kept up to date from
/// the file's new bytes only. The journal stays bounded: past `JournalRetention.segmentBytes` the
/// file is rotated into a numbered segment (`journal.<n>.jsonl`, the full text, kept for
/// `keepSegments` rotations) and folded into a compact per-object snapshot
/// (`journal.snapshot.jsonl`) that the next run starts from instead of the whole history.
public final class Journal: @unchecked Sendable {
    public let file: URL
    public let directory: URL
    public let retention: JournalRetention
    let snapshotFile: URL
    let lockFile: URL
    /// The in-memory index, loaded on first read; its lock also orders this process's appends.
    private let index = Mutex<JournalIndex?>(nil)
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
    public init(directory: URL, retention: JournalRetention = .fromEnvironment) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.directory = directory
        self.retention = retention
        file = directory.appendingPathComponent("journal.jsonl")
        snapshotFile = directory.appendingPathComponent("journal.snapshot.jsonl")
        lockFile = directory.appendingPathComponent("journal.lock")
        if !FileManager.default.fileExists(atPath: file.path) {
            _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        }
    }

    /// Appends one record and flushes it to disk before returning: an intent must be durable
    /// before the call it announces is made.
    public func append(_ record: JournalRecord) throws {
        try append(contentsOf: [record])
    }

    /// Appends records in order with one flush: for steps that finish together.
    public func append(contentsOf records: [JournalRecord]) throws {
        guard !records.isEmpty else { return }
        var lines = Data()
        for record in records {
            lines.append(try encoder.encode(record))
            lines.append(UInt8(ascii: "\n"))
        }
        try index.withLock { index in
            let fd = open(file.path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw JournalError(message: "cannot open \(file.path) for appending: \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            // A torn line from an earlier crash must not swallow this record: start on a new line.
            var prefix = Data()
            var status = stat()
            if fstat(fd, &status) == 0, status.st_size > 0 {
                var last: UInt8 = 0
                if pread(fd, &last, 1, status.st_size - 1) == 1, last != UInt8(ascii: "\n") { prefix.append(UInt8(ascii: "\n")) }
            }
            let bytes = prefix + lines
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == bytes.count, fsync(fd) == 0 else {
                throw JournalError(message: "cannot write \(file.path): \(String(cString: strerror(errno)))")
            }
            let end = lseek(fd, 0, SEEK_CUR)
            // Our own lines go straight into the index when nothing else was written in between;
            // otherwise the next read picks them up from the file with the other writer's.
            if var loaded = index, fstat(fd, &status) == 0, loaded.inode == status.st_ino, loaded.offset == Int(end) - bytes.count {
                index = nil
                loaded.add(lines)
                loaded.offset = Int(end)
                index = loaded
            }
            if Int(end) >= retention.segmentBytes {
                try rotate(&index)
            }
        }
    }

    /// Every record the journal still holds in full or in its snapshot, oldest first. A line cut
    /// short by a crash is skipped.
    public func records() throws -> [JournalRecord] {
        try withIndex { $0.all }
    }

    /// The records of one object on one cluster, oldest first.
    public func records(cluster: String, object: String) throws -> [JournalRecord] {
        try withIndex { $0.records(cluster: cluster, object: object) }
    }

    /// The newest record of one object that `matches`, without copying its history.
    public func lastRecord(cluster: String, object: String, where matches: (JournalRecord) -> Bool) throws -> JournalRecord? {
        try withIndex { $0.last(cluster: cluster, object: object, where: matches) }
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
        try lastRecord(cluster: cluster, object: object) { $0.phase == .outcome && $0.succeeded == true && $0.savepointPath != nil }?.savepointPath
    }

    // MARK: The index

    private func withIndex<T: Sendable>(_ body: (JournalIndex) throws -> T) throws -> T {
        try index.withLock { index in
            try catchUp(&index)
            return try body(index!)
        }
    }

    /// Loads the index once; afterwards reads only the bytes appended since (by this or another
    /// process), and reloads when another process rotated the file.
    private func catchUp(_ index: inout JournalIndex?) throws {
        var status = stat()
        let exists = stat(file.path, &status) == 0
        if var loaded = index {
            if exists, status.st_ino == loaded.inode, Int(status.st_size) >= loaded.offset {
                guard Int(status.st_size) > loaded.offset else { return }
                index = nil
                let (data, consumed) = try JournalFiles.wholeLines(file, from: loaded.offset)
                loaded.add(data)
                loaded.offset += consumed
                index = loaded
                return
            }
        }
        index = try withFileLock(exclusive: false) { try JournalFiles.load(self) }
    }

    // MARK: Rotation

    /// Moves `journal.jsonl` into the next segment and folds it into the snapshot. Each step
    /// leaves a readable journal if a crash stops it there: the renamed segment is read until the
    /// new snapshot, written to a temporary file and renamed into place, says it covers it.
    private func rotate(_ index: inout JournalIndex?) throws {
        try withFileLock(exclusive: true) {
            var status = stat()
            // Another process may have rotated it while this one waited for the lock.
            guard stat(file.path, &status) == 0, Int(status.st_size) >= retention.segmentBytes else { return }
            let snapshot = try JournalFiles.readSnapshot(snapshotFile)
            let segments = JournalFiles.segments(in: directory)
            let next = max(segments.map(\.number).max() ?? 0, snapshot.through) + 1
            let segment = JournalFiles.segmentURL(directory, next)
            guard rename(file.path, segment.path) == 0 else {
                throw JournalError(message: "cannot rotate \(file.path): \(String(cString: strerror(errno)))")
            }
            _ = FileManager.default.createFile(atPath: file.path, contents: nil)
            JournalFiles.syncDirectory(directory)
            Failpoint.hit("journal-after-segment-rename")
            var folded = snapshot.records
            for (number, url) in (segments + [(next, segment)]).sorted(by: { $0.number < $1.number }) where number > snapshot.through {
                folded += try JournalFiles.readLines(url, from: 0).records
            }
            try JournalFiles.writeSnapshot(JournalIndex.compact(folded), through: next, to: snapshotFile)
            for (number, url) in segments + [(next, segment)] where number <= next - retention.keepSegments {
                try? FileManager.default.removeItem(at: url)
            }
        }
        index = nil
    }

    /// Holds `journal.lock` (shared for loading, exclusive for rotating) across processes.
    private func withFileLock<T>(exclusive: Bool, _ body: () throws -> T) throws -> T {
        let fd = open(lockFile.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw JournalError(message: "cannot open \(lockFile.path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            guard errno == EINTR else { throw JournalError(message: "cannot lock \(lockFile.path): \(String(cString: strerror(errno)))") }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}

/// How much of the journal is kept. Past `segmentBytes`, `journal.jsonl` becomes a numbered
/// segment; the newest `keepSegments` segments keep the full text, and every older record
/// survives in the per-object snapshot only as far as recovery and holds need it (each object's
/// last intent and outcome of every step, its last successful outcome of every step, its newest
/// savepoint).
public struct JournalRetention: Sendable, Hashable {
    public var segmentBytes: Int
    public var keepSegments: Int

    public init(segmentBytes: Int = 1 << 20, keepSegments: Int = 32) {
        self.segmentBytes = max(4096, segmentBytes)
        self.keepSegments = max(0, keepSegments)
    }

    /// The defaults, changed by `SLUICE_JOURNAL_SEGMENT_MIB` and `SLUICE_JOURNAL_KEEP_SEGMENTS`.
    public static var fromEnvironment: JournalRetention {
        let environment = ProcessInfo.processInfo.environment
        var retention = JournalRetention()
        if let text = environment["SLUICE_JOURNAL_SEGMENT_MIB"], let mib = Int(text), mib > 0, mib <= 1024 {
            retention.segmentBytes = mib << 20
        }
        if let text = environment["SLUICE_JOURNAL_KEEP_SEGMENTS"], let count = Int(text), count >= 0, count <= 10_000 {
            retention.keepSegments = count
        }
        return retention
    }
}

/// The journal file could not be written.
public struct JournalError: SluiceError {
    public var message: String
    public var hint: String? { "check that Sluice's state directory is writable and the disk is not full" }
}
