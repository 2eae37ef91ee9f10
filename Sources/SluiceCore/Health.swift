/// How an object is doing, with the reason a person needs.
public struct Health: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        case healthy, progressing, suspended, degraded, missing, unknown
    }

    public var status: Status
    public var reason: String

    public init(_ status: Status, _ reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { reason.isEmpty ? status.rawValue : "\(status.rawValue): \(reason)" }
}
