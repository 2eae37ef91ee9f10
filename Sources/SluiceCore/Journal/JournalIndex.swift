#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The journal's lines in order, with the positions of each object's lines. Lines are kept as
/// the bytes read and decoded when their object is asked about: loading a long journal costs a
/// scan for each line's cluster and object, not a full decode of every record.
struct JournalIndex {
    struct Key: Hashable {
        var cluster: String
        var object: String
    }

    /// Where one line lives: a chunk of bytes read (or written) and its range in it.
    struct Line {
        var chunk: Int
        var start: Int
        var count: Int
    }

    private(set) var chunks: [Data] = []
    private(set) var lines: [Line] = []
    private(set) var positions: [Key: [Int]] = [:]
    /// The journal file this index has read, and how far.
    var inode: ino_t = 0
    var offset = 0

    /// Indexes the whole lines of `data` (one file's bytes).
    mutating func add(_ data: Data) {
        guard !data.isEmpty else { return }
        let chunk = chunks.count
        chunks.append(data)
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
                if end > start {
                    let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
                    let key = JournalLine.key(line).map { Key(cluster: $0.cluster, object: $0.object) }
                        ?? JournalFiles.decode(line).map { Key(cluster: $0.cluster, object: $0.object) }
                    if let key {
                        positions[key, default: []].append(lines.count)
                        lines.append(Line(chunk: chunk, start: start, count: end - start))
                    }
                }
                start = end + 1
            }
        }
    }

    func record(at position: Int) -> JournalRecord? {
        let line = lines[position]
        return chunks[line.chunk].withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            return JournalFiles.decode(UnsafeBufferPointer(rebasing: bytes[line.start..<line.start + line.count]))
        }
    }

    var all: [JournalRecord] { lines.indices.compactMap(record(at:)) }

    func records(cluster: String, object: String) -> [JournalRecord] {
        (positions[Key(cluster: cluster, object: object)] ?? []).compactMap(record(at:))
    }

    func last(cluster: String, object: String, where matches: (JournalRecord) -> Bool) -> JournalRecord? {
        for position in (positions[Key(cluster: cluster, object: object)] ?? []).reversed() {
            if let record = record(at: position), matches(record) { return record }
        }
        return nil
    }

    /// What the snapshot keeps of a history: per object, the last record of every step and phase,
    /// the last successful outcome of every step and the newest savepoint outcome, in their
    /// original order. Every question the journal answers (unfinished intents, the latest
    /// savepoint, the last rollback) has the same answer over the compacted records.
    static func compact(_ records: [JournalRecord]) -> [JournalRecord] {
        struct Class: Hashable {
            var key: Key
            var step: JournalRecord.Step
            var phase: JournalRecord.Phase
            var kind: Int
        }
        var keep: [Class: Int] = [:]
        for (position, record) in records.enumerated() {
            let key = Key(cluster: record.cluster, object: record.object)
            keep[Class(key: key, step: record.step, phase: record.phase, kind: 0)] = position
            if record.phase == .outcome, record.succeeded == true {
                keep[Class(key: key, step: record.step, phase: .outcome, kind: 1)] = position
                if record.savepointPath != nil { keep[Class(key: key, step: .savepoint, phase: .outcome, kind: 2)] = position }
            }
        }
        return Set(keep.values).sorted().map { records[$0] }
    }
}

/// The journal's files: `journal.jsonl`, the segments `journal.<n>.jsonl` and the snapshot.
enum JournalFiles {
    static func segmentURL(_ directory: URL, _ number: Int) -> URL {
        directory.appendingPathComponent("journal.\(number).jsonl")
    }

    /// The numbered segments in `directory`.
    static func segments(in directory: URL) -> [(number: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name in
            guard name.hasPrefix("journal."), name.hasSuffix(".jsonl"),
                  let number = Int(name.dropFirst("journal.".count).dropLast(".jsonl".count)), number > 0 else { return nil }
            return (number, directory.appendingPathComponent(name))
        }.sorted { $0.number < $1.number }
    }

    /// Snapshot, then the segments it does not cover, then `journal.jsonl`.
    static func load(_ journal: Journal) throws -> JournalIndex {
        var index = JournalIndex()
        let snapshot = try snapshotBytes(journal.snapshotFile)
        index.add(snapshot.lines)
        for (number, url) in segments(in: journal.directory) where number > snapshot.through {
            index.add(try wholeLines(url, from: 0).data)
        }
        var status = stat()
        if stat(journal.file.path, &status) == 0 { index.inode = status.st_ino }
        let (data, consumed) = try wholeLines(journal.file, from: 0)
        index.add(data)
        index.offset = consumed
        return index
    }

    /// The bytes of the whole lines from `offset` on (a last line without its newline is left
    /// for later: it is being written, or torn), and how many bytes that is.
    static func wholeLines(_ url: URL, from offset: Int) throws -> (data: Data, consumed: Int) {
        guard let data = try FileBytes.read(url.path, from: offset) else { return (Data(), 0) }
        guard let lastNewline = data.lastIndex(of: UInt8(ascii: "\n")) else { return (Data(), 0) }
        let consumed = lastNewline - data.startIndex + 1
        return (Data(data.prefix(consumed)), consumed)
    }

    /// The snapshot's record lines and the last segment number it covers.
    static func snapshotBytes(_ url: URL) throws -> (lines: Data, through: Int) {
        guard let data = FileManager.default.contents(atPath: url.path), !data.isEmpty else { return (Data(), 0) }
        let firstLine = data.prefix { $0 != UInt8(ascii: "\n") }
        guard let through = SnapshotHeader.through(firstLine) else {
            throw JournalError(message: "\(url.path) does not start with a snapshot header; move it aside to rebuild the journal's snapshot from its segments")
        }
        return (Data(data.dropFirst(firstLine.count + 1)), through)
    }

    /// The records of the whole lines from `offset` on, and how many bytes those lines took (a
    /// last line without its newline is left for later: it is being written, or torn).
    static func readLines(_ url: URL, from offset: Int) throws -> (records: [JournalRecord], consumed: Int) {
        guard let data = try FileBytes.read(url.path, from: offset) else { return ([], 0) }
        return data.withUnsafeBytes { raw -> ([JournalRecord], Int) in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard let lastNewline = bytes.lastIndex(of: UInt8(ascii: "\n")) else { return ([], 0) }
            var records: [JournalRecord] = []
            var start = 0
            while start <= lastNewline {
                var end = start
                while bytes[end] != UInt8(ascii: "\n") { end += 1 }
                if end > start, let record = decode(UnsafeBufferPointer(rebasing: bytes[start..<end])) { records.append(record) }
                start = end + 1
            }
            return (records, lastNewline + 1)
        }
    }

    static func decode(_ line: UnsafeBufferPointer<UInt8>) -> JournalRecord? {
        if let record = JournalLine.decode(line) { return record }
        return try? slowDecoder.decode(JournalRecord.self, from: Data(buffer: line))
    }

    private static var slowDecoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = JournalTime.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 time: \(text)"))
            }
            return date
        }
        return decoder
    }

    /// The snapshot's records and the last segment number it covers (0: none, or no snapshot).
    static func readSnapshot(_ url: URL) throws -> (records: [JournalRecord], through: Int) {
        guard let data = FileManager.default.contents(atPath: url.path), !data.isEmpty else { return ([], 0) }
        let firstLine = data.prefix { $0 != UInt8(ascii: "\n") }
        guard let through = SnapshotHeader.through(firstLine) else {
            throw JournalError(message: "\(url.path) does not start with a snapshot header; move it aside to rebuild the journal's snapshot from its segments")
        }
        return (try readLines(url, from: firstLine.count + 1).records, through)
    }

    /// Writes the snapshot to a temporary file, flushes it and renames it into place.
    static func writeSnapshot(_ records: [JournalRecord], through: Int, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(JournalTime.format(date))
        }
        encoder.outputFormatting = [.sortedKeys]
        var data = Data("{\"snapshotThrough\":\(through)}\n".utf8)
        for record in records {
            data.append(try encoder.encode(record))
            data.append(UInt8(ascii: "\n"))
        }
        let temporary = url.appendingPathExtension("tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw JournalError(message: "cannot write \(temporary.path): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced, rename(temporary.path, url.path) == 0 else {
            throw JournalError(message: "cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
        syncDirectory(url.deletingLastPathComponent())
    }

    /// Makes renames in `directory` durable.
    static func syncDirectory(_ directory: URL) {
        let fd = open(directory.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}

/// The first line of a journal snapshot: `{"snapshotThrough":<last segment number>}`.
private struct SnapshotHeader: Decodable {
    var snapshotThrough: Int

    static func through(_ line: Data) -> Int? {
        (try? JSONDecoder().decode(SnapshotHeader.self, from: line))?.snapshotThrough
    }
}
