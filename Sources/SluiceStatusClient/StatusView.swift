import Foundation

/// `GET /api/v1/status` as `sluice status` reads it: the fields it prints, every one optional so a
/// server that knows fewer (or more) fields is still read.
public struct StatusView: Decodable, Sendable {
    public var revision: String?
    public var lastGoodRevision: String?
    public var pinnedRevision: String?
    public var gitReachable: Bool?
    public var lastRound: Date?
    public var lastRoundReason: String?
    public var message: String?
    public var leader: Bool?
    public var unverified: String?
    public var forgeURL: String?
    /// The round in progress, when the server reports one (null when idle).
    public var progress: Progress?
    public var clusters: [Cluster]

    public struct Progress: Decodable, Sendable {
        public var phase: String?
        public var revision: String?
        public var reason: String?
        public var started: Date?
        public var clusters: [ClusterProgress]?
    }

    public struct ClusterProgress: Decodable, Sendable {
        public var name: String
        public var state: String?
        public var done: Int?
        public var total: Int?
        public var message: String?
    }

    public struct Cluster: Decodable, Sendable {
        public var name: String
        public var driver: String?
        public var tier: String?
        public var status: String?
        public var message: String?
        public var wave: Int?
        public var revision: String?
        public var health: String?
        public var objects: [Object]
    }

    public struct Object: Decodable, Sendable {
        public var object: String
        public var environment: String?
        public var sync: String?
        public var action: String?
        public var reason: String?
        public var health: String?
        public var healthReason: String?
        public var lastOperation: String?
        public var lastOperationSucceeded: Bool?
        public var liveRevision: String?
        public var changeClass: String?
        public var job: JobStatus?
    }

    enum CodingKeys: String, CodingKey {
        case revision, lastGoodRevision, pinnedRevision, gitReachable, lastRound, lastRoundReason, message, leader, unverified, forgeURL, progress, clusters
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        revision = try container.decodeIfPresent(String.self, forKey: .revision)
        lastGoodRevision = try container.decodeIfPresent(String.self, forKey: .lastGoodRevision)
        pinnedRevision = try container.decodeIfPresent(String.self, forKey: .pinnedRevision)
        gitReachable = try container.decodeIfPresent(Bool.self, forKey: .gitReachable)
        lastRound = try container.decodeIfPresent(Date.self, forKey: .lastRound)
        lastRoundReason = try container.decodeIfPresent(String.self, forKey: .lastRoundReason)
        message = try container.decodeIfPresent(String.self, forKey: .message)
        leader = try container.decodeIfPresent(Bool.self, forKey: .leader)
        unverified = try container.decodeIfPresent(String.self, forKey: .unverified)
        forgeURL = try container.decodeIfPresent(String.self, forKey: .forgeURL)
        // A progress of another shape than this client knows is left out, not an error.
        progress = try? container.decodeIfPresent(Progress.self, forKey: .progress)
        clusters = try container.decode([Cluster].self, forKey: .clusters)
    }
}
