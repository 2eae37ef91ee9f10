#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SluiceCore

/// A checkpoint or savepoint a job can be restored from, with when it was taken and where Sluice
/// found it (for messages and the journal).
public struct RestorePoint: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    /// Milliseconds since the epoch: the trigger time Flink reports, or the `_metadata` file's
    /// modification time for a point found on disk.
    public var timestamp: Int64
    public var source: String

    public init(path: String, timestamp: Int64, source: String) {
        self.path = path
        self.timestamp = timestamp
        self.source = source
    }

    public var description: String { "\(path) (\(source))" }
}

/// Where a job's state can be found when its job is no longer running, and whether a path a
/// job could be restored from really holds state.
///
/// The rule it serves: verify the state you will restore from before you destroy the job that
/// holds it, and never start a stateful job fresh while any of its state exists.
public enum StateLocator {
    /// What Flink reports as a checkpoint's path when the job has no `execution.checkpointing.dir`.
    static let notAddressableMarker = "<checkpoint-not-externally-addressable>"
    /// Bounds on what a directory scan reads, so a huge or hostile directory cannot stall a sync.
    static let maximumEntriesPerDirectory = 10_000

    /// Whether `path` names a place a job can be restored from (not Flink's in-memory marker).
    public static func isAddressable(_ path: String?) -> Bool {
        guard let path, !path.isEmpty, !path.hasPrefix("<") else { return false }
        return true
    }

    /// The local directory of a `file:` URI or absolute path; `nil` for remote file systems
    /// (s3://, hdfs://...), which Sluice cannot look into and trusts Flink about.
    public static func localDirectory(_ path: String) -> URL? {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path) }
        guard path.hasPrefix("file:") else { return nil }
        if let url = URL(string: path), url.isFileURL, !url.path.isEmpty { return URL(fileURLWithPath: url.path) }
        let rest = path.dropFirst("file:".count)
        return rest.hasPrefix("/") ? URL(fileURLWithPath: String(rest)) : nil
    }

    /// Whether the checkpoint or savepoint at `path` is complete: its `_metadata` exists. `nil`
    /// when Sluice cannot see the file system it is on.
    public static func isComplete(_ path: String) -> Bool? {
        guard isAddressable(path) else { return false }
        guard let directory = localDirectory(path) else { return nil }
        return FileManager.default.fileExists(atPath: directory.appendingPathComponent("_metadata").path)
    }

    /// A restore path Sluice may use: addressable, and complete where Sluice can check.
    public static func isUsable(_ path: String?) -> Bool {
        guard let path, isAddressable(path) else { return false }
        return isComplete(path) ?? true
    }

    /// The modification time of `<directory>/_metadata` in milliseconds, if it exists.
    static func metadataTime(_ directory: URL) -> Int64? {
        let file = directory.appendingPathComponent("_metadata").path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
              let date = attributes[.modificationDate] as? Date else { return nil }
        return Int64(date.timeIntervalSince1970 * 1000)
    }

    /// The names in `directory`, at most `maximumEntriesPerDirectory` of them.
    static func entries(_ directory: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return Array(names.prefix(maximumEntriesPerDirectory))
    }

    /// The newest complete retained checkpoint (`<dir>/<job id>/chk-N/_metadata`) of every job
    /// in the local checkpoint directory `root` that `owns` accepts.
    public static func retainedCheckpoints(in root: String, owns: (String) -> Bool) -> [RestorePoint] {
        guard let directory = localDirectory(root) else { return [] }
        return entries(directory).filter(owns).compactMap { job in
            newestCheckpoint(inJobDirectory: directory.appendingPathComponent(job))
        }
    }

    /// The newest complete `chk-N` in one job's checkpoint directory.
    static func newestCheckpoint(inJobDirectory directory: URL) -> RestorePoint? {
        let complete = entries(directory).compactMap { name -> (Int, Int64)? in
            guard name.hasPrefix("chk-"), let number = Int(name.dropFirst(4)),
                  let time = metadataTime(directory.appendingPathComponent(name)) else { return nil }
            return (number, time)
        }
        guard let newest = complete.max(by: { $0.0 < $1.0 }) else { return nil }
        return RestorePoint(path: "file:" + directory.appendingPathComponent("chk-\(newest.0)").path, timestamp: newest.1,
                            source: "retained checkpoint")
    }

    /// The newest complete checkpoint beside `recorded` (`…/<job id>/chk-N`): Flink deletes a
    /// checkpoint once a newer one completes, so a recorded one may already be gone.
    public static func newestRetainedCheckpoint(near recorded: String) -> RestorePoint? {
        guard let directory = localDirectory(recorded) else { return nil }
        return newestCheckpoint(inJobDirectory: directory.deletingLastPathComponent())
    }

    /// Savepoints of `jobID` (`savepoint-<first 6 digits of the job id>-…/_metadata`) in the local
    /// savepoint directory `root`, written at or after `since` (milliseconds since the epoch).
    public static func savepoints(in root: String, of jobID: String, since: Int64) -> [RestorePoint] {
        guard let directory = localDirectory(root) else { return [] }
        let prefix = "savepoint-\(jobID.prefix(6))-"
        return entries(directory).filter { $0.hasPrefix(prefix) }.compactMap { name in
            let savepoint = directory.appendingPathComponent(name)
            guard let time = metadataTime(savepoint), time >= since else { return nil }
            return RestorePoint(path: "file:" + savepoint.path, timestamp: time, source: "savepoint directory")
        }
    }

    /// The timestamp of a recorded path: its `_metadata` time on a local disk, else `fallback`.
    /// A local path without `_metadata` is not a restore point at all.
    static func recorded(_ path: String?, fallback: Int64, source: String) -> RestorePoint? {
        guard let path, isAddressable(path) else { return nil }
        if let directory = localDirectory(path) {
            guard let time = metadataTime(directory) else { return nil }
            return RestorePoint(path: path, timestamp: time, source: source)
        }
        return RestorePoint(path: path, timestamp: fallback, source: source)
    }
}
