/// How an object is doing, with the reason a person needs.
public struct Health: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        case healthy, progressing, suspended, degraded, missing, unknown
    }

    public var status: Status
    public var reason: String
    /// Set when waiting cannot help: the object failed in a way only a new change fixes (a job
    /// that cannot start). A health gate fails at once instead of waiting out its timeout.
    public var settled: Bool { cannotHeal == true }
    private var cannotHeal: Bool?

    public init(_ status: Status, _ reason: String) {
        self.status = status
        self.reason = reason
    }

    /// A failure that waiting will not heal.
    public static func cannotStart(_ reason: String) -> Health {
        var health = Health(.degraded, reason)
        health.cannotHeal = true
        return health
    }

    public var description: String { reason.isEmpty ? status.rawValue : "\(status.rawValue): \(reason)" }
}
