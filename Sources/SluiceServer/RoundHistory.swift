import Foundation
import SluiceCore
import SluiceStatusClient
import SluiceSync

/// The last rounds, for the rollout timeline (`GET /api/v1/rounds`): bounded, newest last.
actor RoundHistory {
    static let defaultCapacity = 50
    let capacity: Int
    let forgeURL: String?
    private var entries: [RoundEntry] = []
    private var count = 0

    init(capacity: Int = RoundHistory.defaultCapacity, forgeURL: String?) {
        self.capacity = max(1, capacity)
        self.forgeURL = forgeURL
    }

    /// Records a finished round and returns its entry.
    @discardableResult
    func record(_ round: ReconcileLoop.Round) -> RoundEntry {
        count += 1
        let entry = Self.entry(round, number: count, forgeURL: forgeURL)
        entries.append(entry)
        if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
        return entry
    }

    /// The newest `limit` rounds, newest first.
    func newest(_ limit: Int) -> [RoundEntry] { Array(entries.suffix(max(0, limit)).reversed()) }

    /// The page of a commit on the forge: `<forge>/commit/<sha>` (GitHub, GitLab and Gitea all serve it).
    static func commitURL(_ revision: String?, forgeURL: String?) -> String? {
        guard let revision, let forgeURL else { return nil }
        return "\(forgeURL)/commit/\(revision)"
    }

    static func entry(_ round: ReconcileLoop.Round, number: Int, forgeURL: String?) -> RoundEntry {
        // The round's report keeps the clusters it did not sync (their last result): only those
        // it synced, and those it held behind a wave that failed in it, belong to its timeline.
        let all = round.synced?.clusters ?? []
        let window = round.started.addingTimeInterval(-1)...round.finished.addingTimeInterval(1)
        let synced = all.filter { result in result.started.map { window.contains($0) } ?? false }
        let failedWaves = synced.filter { $0.status == .failed || $0.status == .error }.map(\.wave)
        let held = all.filter { result in
            result.status == .held && result.started == nil && failedWaves.contains { $0 < result.wave }
        }
        let clusters = (synced + held).sorted { ($0.wave, $0.cluster) < ($1.wave, $1.cluster) }.map { result in
            RoundCluster(name: result.cluster, wave: result.wave, status: result.status.rawValue, outcome: outcome(result),
                         started: result.started, finished: result.started.map { $0.addingTimeInterval(result.durationSeconds) },
                         durationSeconds: result.durationSeconds, message: result.message,
                         journal: journalPath(cluster: result.cluster, from: result.started ?? round.started,
                                              to: result.started.map { $0.addingTimeInterval(result.durationSeconds) } ?? round.finished))
        }
        return RoundEntry(number: number, started: round.started, finished: round.finished, revision: round.revision,
                          commitURL: commitURL(round.revision, forgeURL: forgeURL), reason: round.reason.description,
                          outcome: outcomeName(round.outcome), message: round.message, clusters: clusters)
    }

    static func outcome(_ result: ClusterSyncResult) -> String {
        result.actions.contains(where: \.rolledBack) ? "rolled-back" : result.status.rawValue
    }

    static func outcomeName(_ outcome: ReconcileLoop.Outcome) -> String {
        switch outcome {
        case .skipped: "skipped"
        case .unresolvable: "unresolvable"
        case .unverified: "unverified"
        case .unchanged: "unchanged"
        case .planned: "planned"
        case .synced: "synced"
        case .failed: "failed"
        }
    }

    /// The history query of one cluster's records in a time window, to the millisecond the journal
    /// writes: a record written just after the window (a savepoint taken right after the round)
    /// must not fall into it.
    static func journalPath(cluster: String, from: Date, to: Date) -> String {
        let since = JournalTime.format(Date(timeIntervalSince1970: (from.timeIntervalSince1970 * 1000).rounded(.down) / 1000))
        let until = JournalTime.format(Date(timeIntervalSince1970: (to.timeIntervalSince1970 * 1000).rounded(.up) / 1000))
        var query = URLComponents()
        query.queryItems = [.init(name: "cluster", value: cluster), .init(name: "since", value: since), .init(name: "until", value: until)]
        // `+` of a time zone must not read as a space.
        let text = (query.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        return "/api/v1/history?\(text)"
    }
}
