import Foundation
import SluiceCore
import SluiceHTTPServer

/// The filters of `GET /api/v1/history`, checked before the journal is read.
struct HistoryFilter: Sendable {
    var cluster: String?
    var job: String?
    var revision: String?
    var since: Date?
    var until: Date?

    /// Longer filter values are refused: no name or commit id is this long.
    static let maxLength = 512

    init(cluster: String?, job: String?, revision: String?, since: String?, until: String?) throws {
        for (name, value) in [("cluster", cluster), ("job", job), ("revision", revision), ("since", since), ("until", until)] {
            if let value, value.isEmpty || value.count > Self.maxLength {
                throw InsightRoutes.refusal(.badRequest, "\(name) must be 1 to \(Self.maxLength) characters")
            }
        }
        if let revision, revision.count < 4 || !revision.allSatisfy(\.isHexDigit) {
            throw InsightRoutes.refusal(.badRequest, "revision must be a commit id or a prefix of at least 4 hex digits")
        }
        self.cluster = cluster
        self.job = job
        self.revision = revision?.lowercased()
        self.since = try since.map { try Self.time($0, "since") }
        self.until = try until.map { try Self.time($0, "until") }
    }

    static func time(_ text: String, _ name: String) throws -> Date {
        guard let date = JournalTime.parse(text) else {
            throw InsightRoutes.refusal(.badRequest, "\(name) must be an ISO 8601 time, e.g. 2026-11-30T12:00:00Z")
        }
        return date
    }

    func matches(_ record: JournalRecord) -> Bool {
        if let cluster, record.cluster != cluster { return false }
        if let job, !ObjectQuery.matches(record.object, job) { return false }
        if let revision, !(record.revision?.lowercased().hasPrefix(revision) ?? false) { return false }
        if let since, record.time < since { return false }
        if let until, record.time > until { return false }
        return true
    }
}
