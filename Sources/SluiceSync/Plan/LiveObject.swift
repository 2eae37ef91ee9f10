import SluiceSpec
import SluiceYAML

/// An object as a driver found it on a cluster, normalised to the shape Sluice rendered it in,
/// so that desired and live can be compared field by field.
public struct LiveObject: Sendable {
    public var identity: ObjectIdentity
    /// The object's last applied configuration (Sluice's fields only), with the ownership marks.
    public var value: Value
    /// Observed health, when the driver knows it.
    public var health: Health?

    public init(identity: ObjectIdentity, value: Value, health: Health? = nil) {
        self.identity = identity
        self.value = value
        self.health = health
    }

    /// Whether Sluice applied this object; nothing else is ever updated over or deleted.
    public var isOwned: Bool { Ownership.isOwned(value) }
    public var specHash: String? { value[path: "metadata", "annotations", Ownership.specHashAnnotation]?.stringValue }
    public var revision: String? { value[path: "metadata", "annotations", Ownership.revisionAnnotation]?.stringValue }
    public var environment: String? { value[path: "metadata", "labels", Ownership.environmentLabel]?.stringValue }
}

/// How an object is doing, with the reason a person needs.
public struct Health: Sendable, Hashable, CustomStringConvertible {
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
