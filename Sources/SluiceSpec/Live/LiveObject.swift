import SluiceCore
import SluiceYAML

/// An object as a driver found it on a cluster, normalised to the shape Sluice rendered it in,
/// so that desired and live can be compared field by field.
public struct LiveObject: Sendable {
    public var identity: ObjectIdentity
    /// The object's last applied configuration (Sluice's fields only), with the ownership marks.
    public var value: Value
    /// Observed health, when the driver knows it.
    public var health: Health?
    /// The desired object as the cluster would store it (a Kubernetes dry-run apply), normalised
    /// like `value`: compared with `value`, it shows drift without the server's defaults.
    public var serverDesired: Value?
    /// Sluice applied and recorded a running job for it that the cluster no longer runs.
    public var isLost = false

    public init(identity: ObjectIdentity, value: Value, health: Health? = nil, serverDesired: Value? = nil) {
        self.identity = identity
        self.value = value
        self.health = health
        self.serverDesired = serverDesired
    }

    /// Whether Sluice applied this object; nothing else is ever updated over or deleted.
    public var isOwned: Bool { Ownership.isOwned(value) }
    public var specHash: String? { value[path: "metadata", "annotations", Ownership.specHashAnnotation]?.stringValue }
    public var revision: String? { value[path: "metadata", "annotations", Ownership.revisionAnnotation]?.stringValue }
    public var environment: String? { value[path: "metadata", "labels", Ownership.environmentLabel]?.stringValue }
}

