import Foundation

/// The round in progress, as `GET /api/v1/status` shows it under `progress` (null between rounds):
/// what the loop is doing now, and how far each cluster got.
public struct RoundProgress: Sendable, Encodable, Equatable {
    public enum Phase: String, Sendable, Encodable {
        case fetching, loading, planning, verdicts, applying, done
    }

    public enum ClusterState: String, Sendable, Encodable {
        case pending, planning, applying
        case waitingForHealth = "waiting-for-health"
        case done, failed
    }

    public struct Cluster: Sendable, Encodable, Equatable {
        public var name: String
        public var state: ClusterState
        /// Actions finished, of `total` planned changes.
        public var done: Int
        public var total: Int
        /// What it waits for, or why it failed.
        public var message: String?
    }

    public var phase: Phase
    /// The commit being synced, once the fetch resolved it.
    public var revision: String?
    /// Why the round runs (start, interval, webhook, manual, ...).
    public var reason: String
    public var started: Date
    public var clusters: [Cluster]

    public init(phase: Phase, revision: String? = nil, reason: String, started: Date, clusters: [Cluster] = []) {
        self.phase = phase
        self.revision = revision
        self.reason = reason
        self.started = started
        self.clusters = clusters
    }

    mutating func update(_ name: String, _ change: (inout Cluster) -> Void) {
        guard let index = clusters.firstIndex(where: { $0.name == name }) else { return }
        change(&clusters[index])
    }
}

extension RoundProgress {
    /// Encodes as `null` between rounds (an optional field would be left out), so clients can
    /// rely on the key.
    public struct OrNull: Sendable, Encodable {
        public var value: RoundProgress?
        public init(_ value: RoundProgress?) { self.value = value }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            if let value { try container.encode(value) } else { try container.encodeNil() }
        }
    }
}
