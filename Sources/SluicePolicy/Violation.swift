import SluiceCore
import SluiceSpec

/// What a binding asks to happen when its policy's validation fails (`validationActions`).
public enum ValidationAction: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case deny = "Deny", warn = "Warn", audit = "Audit"

    private var rank: Int { self == .deny ? 0 : self == .warn ? 1 : 2 }
    public static func < (a: ValidationAction, b: ValidationAction) -> Bool { a.rank < b.rank }
}

/// One failed validation of one policy binding on one rendered object.
public struct Violation: Sendable, Hashable {
    public var policy: String
    public var binding: String
    /// The binding's actions, most severe first; `Deny` fails a check.
    public var actions: [ValidationAction]
    public var message: String
    /// The validation's `reason` (Invalid, Forbidden, ...).
    public var reason: String?
    public var cluster: String
    public var environment: String
    public var object: ObjectIdentity
    /// Where the object is written in the spec repository.
    public var objectSource: SourceLocation
    /// Where the failing validation is written in the policies.
    public var policySource: SourceLocation?

    public init(policy: String, binding: String, actions: [ValidationAction], message: String, reason: String? = nil,
                cluster: String, environment: String, object: ObjectIdentity, objectSource: SourceLocation,
                policySource: SourceLocation? = nil) {
        self.policy = policy
        self.binding = binding
        self.actions = actions.sorted()
        self.message = message
        self.reason = reason
        self.cluster = cluster
        self.environment = environment
        self.object = object
        self.objectSource = objectSource
        self.policySource = policySource
    }

    public var denies: Bool { actions.contains(.deny) }
    public var warns: Bool { actions.contains(.warn) }
    /// `error`, `warning` or `note`, as CI systems grade findings.
    public var level: String { denies ? "error" : warns ? "warning" : "note" }
}
