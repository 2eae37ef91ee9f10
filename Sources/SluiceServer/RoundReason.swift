/// Why a round of `sluice serve` runs; printed in logs, the status API and notifications.
public enum RoundReason: Sendable, Hashable, CustomStringConvertible {
    /// The service started.
    case start
    /// The polling interval elapsed.
    case interval
    /// A forge's push webhook arrived.
    case webhook
    /// `POST /api/v1/sync`.
    case api
    /// A round run by a caller (tests, benchmarks).
    case manual
    /// `sluice serve --once`.
    case once
    /// The service is stopping: wakes the loop so it can return.
    case shutdown
    /// `POST /api/v1/rollback`: from now on this revision instead of the branch head.
    case rollback(to: String)
    /// The rollback pin was lifted: the branch head again.
    case unpin
    /// This replica took shards (`--shards`): their clusters are planned and synced at once.
    case shardsGained

    /// A round nobody asked for by hand: an unchanged head is not planned again, and a new one
    /// re-plans only the clusters it changes (until the periodic resync).
    public var isRoutine: Bool { self == .interval || self == .webhook }

    public var description: String {
        switch self {
        case .start: "start"
        case .interval: "interval"
        case .webhook: "webhook"
        case .api: "api"
        case .manual: "manual"
        case .once: "once"
        case .shutdown: "shutdown"
        case .rollback(let revision): "rollback to \(revision)"
        case .unpin: "unpin"
        case .shardsGained: "shards gained"
        }
    }
}
