import SluiceCore

/// Something the bundled runtime could not do: a FlinkDeployment it cannot turn into processes, a plan
/// over the memory budget, processes that would not start, or state it cannot read or write.
public struct RuntimeError: SluiceError, Equatable {
    /// What kind of failure this is, for callers that react differently (e.g. to a budget refusal).
    public enum Kind: String, Sendable, Codable {
        case invalidPlan, memoryBudget, startFailed, startupTimeout, degraded, stopped, state
    }

    /// What kind of failure.
    public var kind: Kind
    /// The spec position, for plan errors.
    public var location: SourceLocation?
    /// What went wrong, naming the deployment or field.
    public var message: String
    /// What to do about it.
    public var hint: String?

    /// An error of `kind`.
    public init(_ kind: Kind, _ message: String, at location: SourceLocation? = nil, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
        self.hint = hint
    }
}
