#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import SluiceCore
import SluiceSpec
import SluiceYAML
import Synchronization

/// What Sluice last applied to a cluster that cannot store Sluice's spec itself (a Flink session
/// cluster, the runtime): per object, the applied spec, the job it runs and its last savepoint.
///
/// It refines what the cluster says; it is never trusted over it. A job the cluster does not run
/// is not running whatever this file says, and a lost file only makes the next sync treat every
/// job as changed, which upgrades it with its state kept.
public final class AppliedStore: @unchecked Sendable {
    /// One applied object.
    public struct Entry: Codable, Sendable {
        public var identity: ObjectIdentity
        /// The applied object as JSON (ownership marks included).
        public var object: String
        public var specHash: String
        /// The job Sluice started for it, if it runs one.
        public var jobID: String?
        /// The newest savepoint Sluice knows of for it.
        public var savepointPath: String?
        /// When the last change was applied: a health gate waits for a checkpoint after this.
        public var appliedAt: Date
        /// The revision the applied object was rendered from (absent from files an older Sluice wrote).
        public var revision: String?

        public init(identity: ObjectIdentity, object: String, specHash: String, jobID: String?, savepointPath: String?, appliedAt: Date,
                    revision: String? = nil) {
            self.identity = identity
            self.object = object
            self.specHash = specHash
            self.jobID = jobID
            self.savepointPath = savepointPath
            self.appliedAt = appliedAt
            self.revision = revision
        }

        public var value: Value? { try? JSON.decode(object) }
    }

    public let file: URL
    private let entries: Mutex<[ObjectIdentity: Entry]>

    /// Opens the store of `cluster` under `directory`; an unreadable file starts empty (see above).
    public init(directory: URL, cluster: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        file = directory.appendingPathComponent("\(cluster).json")
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let list = (try? Data(contentsOf: file)).flatMap { try? decoder.decode([Entry].self, from: $0) } ?? []
        entries = Mutex(Dictionary(list.map { ($0.identity, $0) }, uniquingKeysWith: { _, last in last }))
    }

    public var all: [Entry] {
        entries.withLock { $0.values.sorted { $0.identity < $1.identity } }
    }

    public subscript(identity: ObjectIdentity) -> Entry? {
        entries.withLock { $0[identity] }
    }

    /// Records `entry` (or removes the object when `nil`) and writes the file atomically.
    public func set(_ identity: ObjectIdentity, _ entry: Entry?) throws {
        try entries.withLock { entries in
            entries[identity] = entry
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            let data = try encoder.encode(entries.values.sorted { $0.identity < $1.identity })
            try data.write(to: file, options: .atomic)
        }
    }
}
