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

    /// How the object belongs to this Sluice, where the driver knows more than the managed-by
    /// label says (Kubernetes ApplySets); nil: the label alone decides.
    public var membership: Membership?

    /// Fields that other field managers added to this object (not in what Sluice applies), with
    /// the manager that owns each: drift that a comparison of Sluice's own fields cannot see.
    public var foreignFields: [ForeignField] = []

    /// Fields another controller owns by declaration, with the owner: the scale field of an object
    /// a HorizontalPodAutoscaler targets (`HorizontalPodAutoscaler web`). Sluice sets them when it
    /// creates the object and leaves them alone after that.
    public var ownedElsewhere: [OwnedField] = []

    /// The version of the object that was read (Kubernetes `metadata.resourceVersion`), so that a
    /// change made on what was read fails when the object has changed since.
    public var resourceVersion: String?

    /// The fields each field manager owns on the cluster (`metadata.managedFields`, status writers
    /// left out), for ignore rules by manager.
    public var managedFields: [String: [[String]]] = [:]

    /// One field that a controller other than Sluice owns.
    public struct OwnedField: Sendable, Hashable {
        public var keys: [String]
        public var owner: String

        public init(keys: [String], owner: String) {
            self.keys = keys
            self.owner = owner
        }
    }

    /// One field another manager added.
    public struct ForeignField: Sendable, Hashable {
        public var keys: [String]
        public var manager: String
        public var value: Value?

        public init(keys: [String], manager: String, value: Value?) {
            self.keys = keys
            self.manager = manager
            self.value = value
        }
    }

    /// Which owner identity an object carries.
    public enum Membership: Sendable, Hashable {
        /// In one of this instance's ownership sets for the cluster.
        case member
        /// Applied by Sluice before owner identities existed: adopted when desired, never pruned.
        case legacy
        /// In the ownership set of another Sluice instance, cluster or environment (its id).
        case foreign(String)
    }

    public init(identity: ObjectIdentity, value: Value, health: Health? = nil, serverDesired: Value? = nil, membership: Membership? = nil) {
        self.identity = identity
        self.value = value
        self.health = health
        self.serverDesired = serverDesired
        self.membership = membership
    }

    /// Whether Sluice applied this object; nothing else is ever updated over or deleted.
    public var isOwned: Bool {
        if case .foreign = membership { return false }
        return Ownership.isOwned(value)
    }

    /// Whether a prune may delete it: owned, and not merely left over from before owner identities.
    public var isPrunable: Bool { isOwned && membership != .legacy }
    public var specHash: String? { value[path: "metadata", "annotations", Ownership.specHashAnnotation]?.stringValue }
    public var revision: String? { value[path: "metadata", "annotations", Ownership.revisionAnnotation]?.stringValue }
    public var environment: String? { value[path: "metadata", "labels", Ownership.environmentLabel]?.stringValue }
}

