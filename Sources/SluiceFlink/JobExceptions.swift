#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A job's exception history (`GET /jobs/<id>/exceptions`, field `exceptionHistory`, Flink 1.13
/// and later; the older `root-exception` fields are gone in Flink 2.x): every failure that made
/// the job restart or fail, newest first.
public struct JobExceptionHistory: Decodable, Sendable {
    public struct Entry: Decodable, Sendable {
        public var exceptionName: String?
        public var stacktrace: String?
        /// Milliseconds since the epoch.
        public var timestamp: Int64

        /// The root cause a person needs: the last `Caused by:` of the stack trace, else its first line.
        public var cause: String {
            if let stacktrace, !stacktrace.isEmpty { return FlinkClient.firstLine(stacktrace) }
            return exceptionName ?? "no reason given"
        }
    }

    public var entries: [Entry]

    enum CodingKeys: String, CodingKey { case exceptionHistory }
    enum HistoryKeys: String, CodingKey { case entries }

    public init(entries: [Entry]) { self.entries = entries }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard container.contains(.exceptionHistory) else { entries = []; return }
        let history = try container.nestedContainer(keyedBy: HistoryKeys.self, forKey: .exceptionHistory)
        entries = try history.decodeIfPresent([Entry].self, forKey: .entries) ?? []
    }

    /// The failures at or after `since` (milliseconds since the epoch).
    public func failures(since: Int64) -> [Entry] { entries.filter { $0.timestamp >= since } }
}

extension FlinkClient {
    /// `GET /jobs/<id>/exceptions`; `nil` when the cluster does not know the job.
    public func exceptions(_ jobID: String) async throws -> JobExceptionHistory? {
        try await getIfPresent("jobs/\(jobID)/exceptions", as: JobExceptionHistory.self)
    }
}
